/// What a run's cgroup measured. Read it after the run ended (values only grow until then).
///
/// A nil field means this machine's cgroup does not measure it (controller absent or kernel too old).
public struct CgroupUsage: Sendable, Equatable {
    /// The peak memory of the whole group, in bytes (v1 `memory.max_usage_in_bytes`, v2 `memory.peak`;
    /// v2 falls back to `memory.current` on kernels before 5.19).
    public var peakMemoryBytes: UInt64?
    /// The CPU time (user + system) of every process that ran in the group, in nanoseconds
    /// (v1 `cpuacct.usage`, v2 `cpu.stat` `usage_usec` × 1000).
    public var cpuNanoseconds: UInt64?
    /// How many processes of the group the OOM killer killed (`oom_kill`); 0 when unknown.
    public var oomKills: Int
    /// How often the memory limit was hit (v1 the larger of `memory.failcnt` and
    /// `memory.memsw.failcnt`, v2 `memory.events` `max`).
    public var memoryLimitHits: Int?
    /// How often a fork or clone failed on the pids limit (`pids.events` `max`).
    public var pidsLimitHits: Int?

    /// Creates a usage record.
    /// - Parameters:
    ///   - peakMemoryBytes: peak memory in bytes.
    ///   - cpuNanoseconds: CPU time in nanoseconds.
    ///   - oomKills: processes killed by the OOM killer.
    ///   - memoryLimitHits: times the memory limit was reached.
    ///   - pidsLimitHits: forks refused by the pids limit.
    public init(
        peakMemoryBytes: UInt64? = nil, cpuNanoseconds: UInt64? = nil, oomKills: Int = 0,
        memoryLimitHits: Int? = nil, pidsLimitHits: Int? = nil
    ) {
        self.peakMemoryBytes = peakMemoryBytes
        self.cpuNanoseconds = cpuNanoseconds
        self.oomKills = oomKills
        self.memoryLimitHits = memoryLimitHits
        self.pidsLimitHits = pidsLimitHits
    }
}
