#if os(Linux)
import CJail

/// The rlimits every jailed process gets (DESIGN §2): CPU, file size, open files, stack, no core
/// dumps, little locked memory, processes; and address space when no cgroup caps memory.
enum RlimitPlan {
    static func limits(for limits: JailLimits, memoryByCgroup: Bool) -> [cj_rlimit] {
        let cpu = UInt64(limits.effectiveCPUSeconds.rounded(.up))
        var plan: [cj_rlimit] = [
            cj_rlimit(resource: Int32(CJ_RLIMIT_CPU), soft: cpu, hard: cpu + 1),
            cj_rlimit(resource: Int32(CJ_RLIMIT_FSIZE), soft: limits.fileSizeBytes, hard: limits.fileSizeBytes),
            cj_rlimit(resource: Int32(CJ_RLIMIT_NOFILE), soft: limits.openFiles, hard: limits.openFiles),
            cj_rlimit(resource: Int32(CJ_RLIMIT_STACK), soft: limits.stackBytes, hard: limits.stackBytes),
            cj_rlimit(resource: Int32(CJ_RLIMIT_CORE), soft: 0, hard: 0),
            cj_rlimit(resource: Int32(CJ_RLIMIT_MEMLOCK), soft: 64 << 10, hard: 64 << 10),
            cj_rlimit(resource: Int32(CJ_RLIMIT_NPROC), soft: UInt64(limits.pids), hard: UInt64(limits.pids)),
            cj_rlimit(resource: Int32(CJ_RLIMIT_MSGQUEUE), soft: 0, hard: 0),
        ]
        if !memoryByCgroup {
            // Without a cgroup only the address space can be capped; it over-counts (mappings are
            // not memory), so give it headroom over the memory limit.
            let space = limits.memoryBytes &* 2
            plan.append(cj_rlimit(resource: Int32(CJ_RLIMIT_AS), soft: space, hard: space))
        }
        return plan
    }
}
#endif
