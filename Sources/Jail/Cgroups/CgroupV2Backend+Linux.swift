#if os(Linux)
/// cgroup v2: `<base>/omega-exec-<pid>/run-<n>`, with memory, pids and cpu enabled down to the leaves.
///
/// `base` is the cgroup2 root when we are root (the root cgroup is exempt from the no-internal-processes
/// rule), else our own delegated cgroup; there the supervisor first moves itself into
/// `<base>/supervisor` so that `base` holds no process and may enable controllers for its children.
/// Leaves get `memory.max`, `memory.swap.max` 0, `memory.oom.group` 1 (the OOM killer takes the whole
/// run) and `pids.max`. `killAll` writes `cgroup.kill` (Linux 5.14+), else freezes and kills by list.
final class CgroupV2Backend: CgroupBackend {
    let version = CgroupVersion.v2
    let controllers: [String]
    let bases: [String]
    let parents: [String]
    private let hasMemory: Bool
    private let hasPids: Bool

    /// Sets up `plan.base` (moving ourselves when the plan says so, enabling controllers) and creates the
    /// per-supervisor directory `parentName` with the controllers enabled for its children.
    /// - Parameter required: controllers that must end up enabled, else `CGROUP_UNAVAILABLE`.
    init(plan: CgroupV2Plan, parentName: String, required: [String]) throws(CgroupError) {
        let base = plan.base
        if plan.moveSelf {
            let supervisor = base + "/supervisor"
            try CgroupFS.makeDirectory(supervisor)
            try CgroupFS.write(supervisor + "/cgroup.procs", String(CgroupFS.processID()))
        }
        try Self.enable(plan.controllers, in: base, required: required)
        let parent = base + "/" + parentName
        try CgroupFS.makeDirectory(parent)
        let enabled: [String]
        do {
            enabled = try Self.enable(plan.controllers, in: parent, required: required)
        } catch {
            try? CgroupFS.removeDirectory(parent)
            throw error
        }
        controllers = enabled
        bases = [base]
        parents = [parent]
        hasMemory = enabled.contains("memory")
        hasPids = enabled.contains("pids")
    }

    /// Enables `wanted` in `directory/cgroup.subtree_control` (those not already on); returns what is on
    /// among `wanted`. Throws when one of `required` cannot be enabled.
    @discardableResult
    private static func enable(_ wanted: [String], in directory: String, required: [String]) throws(CgroupError)
        -> [String]
    {
        let path = directory + "/cgroup.subtree_control"
        func current() -> [String] {
            (CgroupFS.readIfPresent(path) ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        }
        let missing = wanted.filter { !current().contains($0) }
        if !missing.isEmpty {
            let all = missing.map { "+" + $0 }.joined(separator: " ")
            if (try? CgroupFS.write(path, all)) == nil {
                // One at a time, so that an unavailable optional controller does not block the others.
                for controller in missing {
                    do {
                        try CgroupFS.write(path, "+" + controller)
                    } catch {
                        if required.contains(controller) { throw error.with(code: .unavailable) }
                    }
                }
            }
        }
        let on = current()
        return wanted.filter(on.contains)
    }

    func check(_ limits: CgroupLimits) throws(CgroupError) {
        if limits.memoryBytes != nil && !hasMemory {
            throw CgroupError(code: .unsupported, message: "memory limit: memory controller not enabled")
        }
        if limits.pids != nil && !hasPids {
            throw CgroupError(code: .unsupported, message: "pids limit: pids controller not enabled")
        }
    }

    func makeLeaf(named name: String, limits: CgroupLimits) throws(CgroupError) -> CgroupLeaf {
        let directory = parents[0] + "/" + name
        var leaf = CgroupLeaf(name: name, directories: [], limits: .unlimited)  // a new cgroup is at max
        do {
            try CgroupFS.makeDirectory(directory)
            leaf.directories = [directory]
            if hasMemory {
                if CgroupFS.exists(directory + "/memory.swap.max") {
                    try CgroupFS.write(directory + "/memory.swap.max", "0")
                }
                if CgroupFS.exists(directory + "/memory.oom.group") {
                    try CgroupFS.write(directory + "/memory.oom.group", "1")
                }
            }
            try apply(limits, to: &leaf)
            leaf.directoryFD = try CgroupFS.openDirectory(directory)
            leaf.procsFDs = [try CgroupFS.openForWriting(directory + "/cgroup.procs")]
            return leaf
        } catch {
            leaf.closeDescriptors()
            try? CgroupFS.removeDirectory(directory)
            throw error.with(code: .setup, step: "create cgroup \(name)")
        }
    }

    func apply(_ limits: CgroupLimits, to leaf: inout CgroupLeaf) throws(CgroupError) {
        let directory = leaf.directories[0]
        if limits.memoryBytes != leaf.limits.memoryBytes && hasMemory {
            try CgroupFS.write(directory + "/memory.max", limits.memoryBytes.map { String($0) } ?? "max")
            leaf.limits.memoryBytes = limits.memoryBytes
        }
        if limits.pids != leaf.limits.pids && hasPids {
            try CgroupFS.write(directory + "/pids.max", limits.pids.map { String($0) } ?? "max")
            leaf.limits.pids = limits.pids
        }
    }

    func usage(of leaf: CgroupLeaf) -> CgroupUsage {
        let directory = leaf.directories[0]
        var usage = CgroupUsage()
        if hasMemory {
            usage.peakMemoryBytes =
                CgroupDiscovery.number(CgroupFS.readIfPresent(directory + "/memory.peak"))
                ?? CgroupDiscovery.number(CgroupFS.readIfPresent(directory + "/memory.current"))
            let events = CgroupFS.readIfPresent(directory + "/memory.events")
            usage.oomKills = Int(CgroupDiscovery.value("oom_kill", in: events) ?? 0)
            usage.memoryLimitHits = CgroupDiscovery.value("max", in: events).map { Int($0) }
        }
        // cpu.stat's usage_usec exists even without the cpu controller.
        let cpu = CgroupDiscovery.value("usage_usec", in: CgroupFS.readIfPresent(directory + "/cpu.stat"))
        usage.cpuNanoseconds = cpu.map { $0 * 1000 }
        if hasPids {
            usage.pidsLimitHits = CgroupDiscovery.value("max", in: CgroupFS.readIfPresent(directory + "/pids.events"))
                .map { Int($0) }
        }
        return usage
    }

    /// `cgroup.kill`, or (before 5.14) freeze + SIGKILL by list + thaw; then waits until `cgroup.events`
    /// says `populated 0`, at most 5 s.
    func killAll(in leaf: CgroupLeaf) -> Bool {
        let directory = leaf.directories[0]
        var backoff = CgroupBackoff(milliseconds: 5000)
        let killFile = (try? CgroupFS.write(directory + "/cgroup.kill", "1")) != nil
        while true {
            let events = CgroupFS.readIfPresent(directory + "/cgroup.events")
            if let events, CgroupDiscovery.value("populated", in: events) == 0 { return true }
            if events == nil && CgroupFS.readIfPresent(directory + "/cgroup.procs")?.isEmpty != false { return true }
            if !killFile {
                try? CgroupFS.write(directory + "/cgroup.freeze", "1")
                for pid in CgroupDiscovery.pids(CgroupFS.readIfPresent(directory + "/cgroup.procs")) {
                    CgroupFS.killProcess(pid)
                }
                // v2 delivers fatal signals to frozen tasks; thawing is for the group's next state only.
                try? CgroupFS.write(directory + "/cgroup.freeze", "0")
            }
            if !backoff.wait() { return false }
        }
    }
}
#endif
