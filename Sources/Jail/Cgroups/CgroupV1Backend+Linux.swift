#if os(Linux)
/// cgroup v1: one directory per hierarchy (memory, and pids, cpuacct, freezer when mounted).
///
/// Layout: `<own cgroup in hierarchy>/omega-exec-<pid>/run-<n>`. Memory is limited without swap by
/// writing `memory.limit_in_bytes` and `memory.memsw.limit_in_bytes` to the same value, in the order the
/// kernel accepts (memsw may never be below the limit). `killAll` freezes the group (freezer) so nothing
/// can fork while the members are listed and killed.
final class CgroupV1Backend: CgroupBackend {
    let version = CgroupVersion.v1
    let controllers: [String]
    let bases: [String]
    let parents: [String]
    /// Index in a leaf's `directories` of each role's hierarchy.
    private let memoryIndex: Int
    private let pidsIndex: Int?
    private let cpuacctIndex: Int?
    private let freezerIndex: Int?
    /// Whether swap accounting exists (`memory.memsw.*`).
    private let hasMemsw: Bool

    /// Creates `omega-exec-<...>` (`parentName`) in each hierarchy of the plan. An optional hierarchy that
    /// refuses is dropped; memory refusing is an error.
    init(hierarchies planned: [CgroupV1Hierarchy], parentName: String) throws(CgroupError) {
        var kept: [CgroupV1Hierarchy] = []
        var parents: [String] = []
        for hierarchy in planned {
            let parent = hierarchy.base + "/" + parentName
            do {
                try CgroupFS.makeDirectory(parent)
            } catch {
                if hierarchy.roles.contains("memory") {
                    for made in parents { try? CgroupFS.removeDirectory(made) }
                    throw error
                }
                continue
            }
            kept.append(hierarchy)
            parents.append(parent)
        }
        func index(_ role: String) -> Int? { kept.firstIndex { $0.roles.contains(role) } }
        guard let memoryIndex = index("memory") else {
            throw CgroupError(code: .unavailable, message: "no v1 memory hierarchy")
        }
        self.memoryIndex = memoryIndex
        pidsIndex = index("pids")
        cpuacctIndex = index("cpuacct")
        freezerIndex = index("freezer")
        self.parents = parents
        bases = kept.map(\.base)
        let roles = kept.flatMap(\.roles)
        controllers = CgroupDiscovery.v1Roles.filter(roles.contains)
        hasMemsw = CgroupFS.exists(parents[memoryIndex] + "/memory.memsw.limit_in_bytes")
    }

    func check(_ limits: CgroupLimits) throws(CgroupError) {
        if limits.pids != nil && pidsIndex == nil {
            throw CgroupError(code: .unsupported, message: "pids limit: no v1 pids hierarchy")
        }
    }

    func makeLeaf(named name: String, limits: CgroupLimits) throws(CgroupError) -> CgroupLeaf {
        var leaf = CgroupLeaf(name: name, directories: [], limits: .unlimited)  // a new v1 cgroup is unlimited
        do {
            for parent in parents {
                let directory = parent + "/" + name
                try CgroupFS.makeDirectory(directory)
                leaf.directories.append(directory)
            }
            // Not writable on some kernels (and on cgroups with use_hierarchy children): best effort.
            try? CgroupFS.write(leaf.directories[memoryIndex] + "/memory.swappiness", "0")
            try apply(limits, to: &leaf)
            for directory in leaf.directories {
                leaf.procsFDs.append(try CgroupFS.openForWriting(directory + "/cgroup.procs"))
            }
            return leaf
        } catch {
            leaf.closeDescriptors()
            for directory in leaf.directories { try? CgroupFS.removeDirectory(directory) }
            throw error.with(code: .setup, step: "create cgroup \(name)")
        }
    }

    func apply(_ limits: CgroupLimits, to leaf: inout CgroupLeaf) throws(CgroupError) {
        if limits.memoryBytes != leaf.limits.memoryBytes {
            try writeMemory(limits.memoryBytes, over: leaf.limits.memoryBytes, in: leaf.directories[memoryIndex])
            leaf.limits.memoryBytes = limits.memoryBytes
        }
        if limits.pids != leaf.limits.pids, let pidsIndex {
            try CgroupFS.write(leaf.directories[pidsIndex] + "/pids.max", limits.pids.map { String($0) } ?? "max")
            leaf.limits.pids = limits.pids
        }
    }

    /// Writes the memory limit and the memory+swap limit to the same value. memsw ≥ limit must hold after
    /// each write, so: lowering writes the limit first, raising writes memsw first.
    private func writeMemory(_ new: UInt64?, over old: UInt64?, in directory: String) throws(CgroupError) {
        let value = new.map { String($0) } ?? "-1"
        let limit = directory + "/memory.limit_in_bytes"
        guard hasMemsw else { return try CgroupFS.write(limit, value) }
        let memsw = directory + "/memory.memsw.limit_in_bytes"
        let raising = (new ?? .max) > (old ?? .max)
        let order = raising ? [memsw, limit] : [limit, memsw]
        try CgroupFS.write(order[0], value)
        try CgroupFS.write(order[1], value)
    }

    func usage(of leaf: CgroupLeaf) -> CgroupUsage {
        let memory = leaf.directories[memoryIndex]
        var usage = CgroupUsage()
        usage.peakMemoryBytes = CgroupDiscovery.number(CgroupFS.readIfPresent(memory + "/memory.max_usage_in_bytes"))
        let oom = CgroupDiscovery.value("oom_kill", in: CgroupFS.readIfPresent(memory + "/memory.oom_control"))
        usage.oomKills = Int(oom ?? 0)
        // With swap accounting the memsw counter is charged first, so a run at its limit fails there.
        let failures = ["/memory.failcnt", "/memory.memsw.failcnt"].compactMap {
            CgroupDiscovery.number(CgroupFS.readIfPresent(memory + $0))
        }
        usage.memoryLimitHits = failures.max().map { Int($0) }
        if let cpuacctIndex {
            usage.cpuNanoseconds = CgroupDiscovery.number(
                CgroupFS.readIfPresent(leaf.directories[cpuacctIndex] + "/cpuacct.usage"))
        }
        if let pidsIndex {
            usage.pidsLimitHits = CgroupDiscovery.value(
                "max", in: CgroupFS.readIfPresent(leaf.directories[pidsIndex] + "/pids.events")
            ).map { Int($0) }
        }
        return usage
    }

    /// Freezes the group (when the freezer is mounted), SIGKILLs every member, thaws it so the kills land,
    /// and repeats until every hierarchy's `cgroup.procs` is empty or 5 s have passed.
    func killAll(in leaf: CgroupLeaf) -> Bool {
        let freezer = freezerIndex.map { leaf.directories[$0] + "/freezer.state" }
        var backoff = CgroupBackoff(milliseconds: 5000)
        while true {
            var frozen = false
            if let freezer, (try? CgroupFS.write(freezer, "FROZEN")) != nil {
                frozen = true
                var settle = CgroupBackoff(milliseconds: 100)
                while CgroupFS.readIfPresent(freezer)?.hasPrefix("FROZEN") == false, settle.wait() {}
            }
            var members: Set<Int32> = []
            for directory in leaf.directories {
                members.formUnion(CgroupDiscovery.pids(CgroupFS.readIfPresent(directory + "/cgroup.procs")))
            }
            for pid in members { CgroupFS.killProcess(pid) }
            // A frozen task keeps its pending SIGKILL until thawed (v1 freezer).
            if frozen { try? CgroupFS.write(freezer!, "THAWED") }
            if members.isEmpty { return true }
            if !backoff.wait() { return false }
        }
    }
}
#endif
