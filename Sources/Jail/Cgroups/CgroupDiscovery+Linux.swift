#if os(Linux)
/// A mounted cgroup hierarchy, from `/proc/self/mountinfo`.
struct CgroupMount: Sendable, Equatable {
    /// The cgroup shown at the mount point, relative to our cgroup namespace (mountinfo field 4).
    var root: String
    /// Where it is mounted (mountinfo field 5).
    var mountPoint: String
    /// v1: the controllers bound to this hierarchy (`cpu`, `cpuacct`); empty for cgroup2.
    var controllers: [String]
}

/// One v1 hierarchy a manager uses, and which role(s) it plays (`memory`, `pids`, `cpuacct`, `freezer`).
struct CgroupV1Hierarchy: Sendable, Equatable {
    /// The roles this hierarchy serves (several when controllers are co-mounted, e.g. `cpu,cpuacct`).
    var roles: [String]
    /// Our own cgroup's directory in it, under which `omega-exec-<pid>` goes.
    var base: String
}

/// How a v2 manager will set itself up.
struct CgroupV2Plan: Sendable, Equatable {
    /// The directory under which `omega-exec-<pid>` goes (the cgroup2 root when root, else our own cgroup).
    var base: String
    /// Whether the supervisor must first move itself into `<base>/supervisor` (no-internal-processes rule).
    var moveSelf: Bool
    /// The controllers of `base` we will enable for runs (subset of memory, pids, cpu).
    var controllers: [String]
}

/// What ``CgroupDiscovery/plan(force:)`` decided.
enum CgroupPlan: Sendable, Equatable {
    /// Use the v1 hierarchies, memory first.
    case v1([CgroupV1Hierarchy])
    /// Use the unified hierarchy.
    case v2(CgroupV2Plan)
}

/// Reads the machine's cgroup layout and decides, without creating anything, what a manager would use.
enum CgroupDiscovery {
    /// The v1 controllers we use, in the order of a leaf's directories. Memory is required.
    static let v1Roles = ["memory", "pids", "cpuacct", "freezer"]
    /// The v2 controllers we enable for runs.
    static let v2Controllers = ["memory", "pids", "cpu"]
    /// v2 controllers without which `make` refuses the hierarchy.
    static let v2Required = ["memory", "pids"]
    /// Known v1 controller names (mount options that are not controllers are ignored).
    static let knownV1Controllers: Set<String> = [
        "cpuset", "cpu", "cpuacct", "blkio", "memory", "devices", "freezer", "net_cls", "perf_event",
        "net_prio", "hugetlb", "pids", "rdma", "misc",
    ]

    /// The machine's cgroup layout as we see it.
    struct Topology: Sendable, Equatable {
        /// cgroup v1 mounts, the first mount of each hierarchy.
        var v1: [CgroupMount] = []
        /// The cgroup2 mount, if any.
        var v2: CgroupMount?
        /// Our cgroup per v1 controller (from `/proc/self/cgroup`).
        var ownV1: [String: String] = [:]
        /// Our cgroup in the unified hierarchy (`0::/path`).
        var ownV2: String?

        /// The v1 mount carrying `controller`.
        func v1Mount(for controller: String) -> CgroupMount? {
            v1.first { $0.controllers.contains(controller) }
        }
    }

    /// Reads `/proc/self/mountinfo` and `/proc/self/cgroup`.
    static func topology() -> Topology {
        parse(
            mountinfo: CgroupFS.readIfPresent("/proc/self/mountinfo") ?? "",
            cgroup: CgroupFS.readIfPresent("/proc/self/cgroup") ?? "")
    }

    /// Parses the two proc files (separate for tests).
    static func parse(mountinfo: String, cgroup: String) -> Topology {
        var topology = Topology()
        for line in mountinfo.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard let dash = fields.firstIndex(of: "-"), dash + 3 < fields.count, fields.count > 5 else { continue }
            let type = fields[dash + 1]
            guard type == "cgroup" || type == "cgroup2" else { continue }
            let root = unescape(fields[3])
            let mountPoint = unescape(fields[4])
            if type == "cgroup2" {
                if topology.v2 == nil { topology.v2 = CgroupMount(root: root, mountPoint: mountPoint, controllers: []) }
                continue
            }
            let controllers = fields[dash + 3].split(separator: ",").map(String.init).filter {
                knownV1Controllers.contains($0)
            }
            guard !controllers.isEmpty else { continue }  // name=systemd and the like
            if topology.v1.contains(where: { $0.controllers == controllers }) { continue }  // a bind of the same
            topology.v1.append(CgroupMount(root: root, mountPoint: mountPoint, controllers: controllers))
        }
        for line in cgroup.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = String(parts[2])
            if parts[0] == "0" && parts[1].isEmpty {
                topology.ownV2 = path
            } else {
                for controller in parts[1].split(separator: ",") { topology.ownV1[String(controller)] = path }
            }
        }
        return topology
    }

    /// mountinfo escapes space, tab, newline and backslash as `\ooo`.
    static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
                let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The directory of cgroup `path` (as `/proc/self/cgroup` names it) inside `mount`; nil when the
    /// mount does not show that cgroup.
    static func directory(of path: String, in mount: CgroupMount) -> String? {
        let base = mount.mountPoint == "/" ? "" : mount.mountPoint
        if mount.root == "/" { return path == "/" ? mount.mountPoint : base + path }
        if path == mount.root { return mount.mountPoint }
        if path.hasPrefix(mount.root + "/") { return base + path.dropFirst(mount.root.count) }
        return nil
    }

    /// The pids listed in a `cgroup.procs` text.
    static func pids(_ text: String?) -> [Int32] {
        guard let text else { return [] }
        return text.split(separator: "\n").compactMap { Int32($0) }
    }

    /// The value of `key` in a flat-keyed cgroup file (`memory.events`, `cpu.stat`, `memory.oom_control`).
    static func value(_ key: String, in text: String?) -> UInt64? {
        guard let text else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 && parts[0] == key { return UInt64(parts[1]) }
        }
        return nil
    }

    /// A single-number cgroup file (`memory.peak`, `cpuacct.usage`).
    static func number(_ text: String?) -> UInt64? {
        guard let text else { return nil }
        return UInt64(text.split(separator: "\n").first ?? "")
    }

    // MARK: Plans

    /// Decides what a manager would use. `force` is the value of `OMEGA_CGROUP` (`none`, `v1`, `v2`,
    /// empty or `auto`); `requiredV2` the v2 controllers without which v2 is refused.
    static func plan(force: String?, requiredV2: [String] = v2Required) -> (CgroupPlan?, CgroupSupport) {
        let topology = topology()
        switch force ?? "" {
        case "none":
            return (nil, CgroupSupport(version: nil, reason: "cgroups disabled by OMEGA_CGROUP=none"))
        case "v1":
            return planV1(topology)
        case "v2":
            return planV2(topology, requiring: requiredV2)
        case "", "auto":
            let v2 = planV2(topology, requiring: requiredV2)
            if v2.0 != nil { return v2 }
            let v1 = planV1(topology)
            if v1.0 != nil { return v1 }
            // A pure v2 machine explains itself best through the v2 reason.
            return topology.v1Mount(for: "memory") == nil && topology.v2 != nil ? v2 : v1
        default:
            return (
                nil,
                CgroupSupport(version: nil, reason: "OMEGA_CGROUP=\(force ?? ""): expected none, v1, v2 or auto")
            )
        }
    }

    /// The v1 plan: our own cgroup in each of the memory, pids, cpuacct and freezer hierarchies.
    static func planV1(_ topology: Topology) -> (CgroupPlan?, CgroupSupport) {
        var hierarchies: [CgroupV1Hierarchy] = []
        var notes: [String] = []
        var seen: [String: Int] = [:]  // mount point -> index in hierarchies
        for role in v1Roles {
            guard let mount = topology.v1Mount(for: role) else {
                notes.append("v1 \(role) hierarchy not mounted")
                continue
            }
            if let index = seen[mount.mountPoint] {
                hierarchies[index].roles.append(role)
                continue
            }
            guard let own = topology.ownV1[role], let base = directory(of: own, in: mount),
                CgroupFS.exists(base)
            else {
                notes.append("our \(role) cgroup is not visible under \(mount.mountPoint)")
                continue
            }
            guard CgroupFS.isWritable(base) else {
                notes.append("\(base) is not writable")
                continue
            }
            seen[mount.mountPoint] = hierarchies.count
            hierarchies.append(CgroupV1Hierarchy(roles: [role], base: base))
        }
        let roles = hierarchies.flatMap(\.roles)
        guard roles.contains("memory") else {
            let why = notes.first { $0.contains("memory") } ?? "no v1 memory hierarchy"
            return (nil, CgroupSupport(version: nil, reason: "cgroup v1 unusable: \(why)", notes: notes))
        }
        let support = CgroupSupport(
            version: .v1, basePaths: hierarchies.map(\.base), controllers: v1Roles.filter(roles.contains),
            notes: notes)
        return (.v1(hierarchies), support)
    }

    /// The v2 plan. Root uses the cgroup2 root (exempt from the no-internal-processes rule); otherwise
    /// our own cgroup when it is delegated to us (writable), moving the supervisor into
    /// `<own>/supervisor` when it is alone there.
    static func planV2(_ topology: Topology, requiring required: [String]) -> (CgroupPlan?, CgroupSupport) {
        guard let mount = topology.v2 else {
            return (nil, CgroupSupport(version: nil, reason: "no cgroup2 hierarchy mounted"))
        }
        let me = CgroupFS.processID()
        let ownDirectory = topology.ownV2.flatMap { directory(of: $0, in: mount) }
        var candidates: [String] = []
        if CgroupFS.effectiveUserID() == 0 { candidates.append(mount.mountPoint) }
        if let ownDirectory, !candidates.contains(ownDirectory) { candidates.append(ownDirectory) }
        var reasons: [String] = []
        for base in candidates {
            guard CgroupFS.isWritable(base + "/cgroup.subtree_control"), CgroupFS.isWritable(base) else {
                reasons.append("\(base) is not delegated to us (not writable)")
                continue
            }
            var notes: [String] = []
            var moveSelf = false
            // The true root has no cgroup.type and may hold processes next to enabled controllers.
            let exempt = !CgroupFS.exists(base + "/cgroup.type")
            let members = pids(CgroupFS.readIfPresent(base + "/cgroup.procs"))
            if !exempt && !members.isEmpty {
                if members == [me] {
                    moveSelf = true
                    notes.append("the supervisor moves itself into \(base)/supervisor (no internal processes)")
                } else {
                    reasons.append("\(base) holds other processes (no-internal-processes rule)")
                    continue
                }
            }
            let available = (CgroupFS.readIfPresent(base + "/cgroup.controllers") ?? "").split(separator: " ")
                .map { String($0.filter { !$0.isNewline }) }
            let controllers = v2Controllers.filter(available.contains)
            let missing = required.filter { !controllers.contains($0) }
            guard missing.isEmpty else {
                let has = available.joined(separator: " ")
                reasons.append("cgroup2 at \(base) lacks \(missing.joined(separator: ", ")) (has: \(has))")
                continue
            }
            let plan = CgroupV2Plan(base: base, moveSelf: moveSelf, controllers: controllers)
            let support = CgroupSupport(version: .v2, basePaths: [base], controllers: controllers, notes: notes)
            return (.v2(plan), support)
        }
        if candidates.isEmpty { reasons.append("our cgroup2 path is not visible under \(mount.mountPoint)") }
        return (nil, CgroupSupport(version: nil, reason: "cgroup v2 unusable: " + reasons.joined(separator: "; ")))
    }
}
#endif
