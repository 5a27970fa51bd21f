#if os(Linux)
import JSON
import SystemCalls

/// What this machine lets the jail do, checked for real: kernel, user namespaces, cgroups, seccomp,
/// the init, and a live run of `/bin/true` in a fully isolated jail.
public struct JailDoctor: Sendable {
    /// One line of the report.
    public struct Check: Sendable, Equatable {
        /// Short name (`kernel`, `user namespaces`...).
        public var name: String
        /// Whether the jail can rely on it.
        public var ok: Bool
        /// What was found.
        public var detail: String
    }

    /// The checks, in order.
    public var checks: [Check] = []
    /// What the jail enforces on this machine, and how.
    public var enforced: [String] = []
    /// What it cannot enforce here, and why.
    public var notEnforced: [String] = []

    /// Whether every check passed.
    public var healthy: Bool { checks.allSatisfy(\.ok) }

    /// Runs every check (including one real jailed run).
    public static func examine() -> JailDoctor {
        var report = JailDoctor()
        let (release, machine) = SystemCall.kernel()
        let major = Int(release.split(separator: ".").first ?? "") ?? 0
        let minor = Int(release.split(separator: ".").dropFirst().first ?? "") ?? 0
        report.checks.append(
            Check(
                name: "kernel", ok: (major, minor) >= (5, 12),
                detail: "Linux \(release) \(machine) (5.12+ wanted for mount_setattr and close_range)"))

        let root = SystemCall.effectiveUserID == 0
        let maxNS = Syscalls.readFile("/proc/sys/user/max_user_namespaces").flatMap { Int($0.trimmed) } ?? -1
        let unprivileged = Syscalls.readFile("/proc/sys/kernel/unprivileged_userns_clone").map { $0.trimmed }
        let apparmor = Syscalls.readFile("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").map { $0.trimmed }
        var userns = "max_user_namespaces=\(maxNS)"
        if let unprivileged { userns += ", unprivileged_userns_clone=\(unprivileged)" }
        if let apparmor { userns += ", apparmor_restrict_unprivileged_userns=\(apparmor)" }
        let rootlessOK = maxNS > 0 && unprivileged != "0" && apparmor != "1"
        userns += root ? "; running as root" : "; running rootless"
        report.checks.append(Check(name: "user namespaces", ok: maxNS > 0 && (root || rootlessOK), detail: userns))

        let support = CgroupManager.detect()
        var cgroupDetail =
            support.version.map { "\($0.rawValue): " + support.controllers.joined(separator: ", ") } ?? "none"
        if let reason = support.reason { cgroupDetail += " (\(reason))" }
        for note in support.notes { cgroupDetail += "; \(note)" }
        report.checks.append(Check(name: "cgroups", ok: support.isUsable, detail: cgroupDetail))

        let actions = Syscalls.readFile("/proc/sys/kernel/seccomp/actions_avail")?.trimmed ?? "unknown"
        var seccompDetail = "kernel actions: \(actions); libseccomp \(SeccompCompiler.libseccompVersion)"
        var seccompOK = actions.contains("errno") && actions.contains("kill_process")
        do {
            let program = try SeccompPolicy.program(named: "default")
            seccompDetail += "; default profile: \(program.instructionCount) BPF instructions"
        } catch {
            seccompOK = false
            seccompDetail += "; default profile: \(error.message)"
        }
        report.checks.append(Check(name: "seccomp", ok: seccompOK, detail: seccompDetail))

        let initPath = JailPaths.initExecutable
        report.checks.append(
            Check(
                name: "init", ok: initPath != nil,
                detail: initPath.map { "omega-jail-init at \($0)" }
                    ?? "omega-jail-init not found: the program would run as pid 1 (no orphan reaping)"))

        var configuration = Jail.Configuration()
        configuration.cgroupPoolSize = 0
        let jail = Jail(configuration: configuration)
        var spec = JailSpec(program: "/bin/true")
        spec.limits.wallSeconds = 10
        spec.seccompProgram = try? SeccompPolicy.program(named: "default").bytes
        do {
            let result = try jail.run(spec)
            let ok = result.status == .ok
            report.checks.append(
                Check(
                    name: "live run", ok: ok,
                    detail: ok
                        ? "/bin/true ran in a full jail in \(Int(result.wallMs.rounded())) ms (cgroup \(result.cgroup))"
                        : "/bin/true: \(result.status.rawValue) \(result.error ?? "")"))
        } catch {
            report.checks.append(Check(name: "live run", ok: false, detail: error.message))
        }

        let cgroup = support.isUsable ? support.version!.rawValue : nil
        let has = { (controller: String) in cgroup != nil && support.controllers.contains(controller) }
        report.enforced.append("namespaces: user, pid, mount, network (loopback only), ipc, uts, cgroup")
        report.enforced.append(
            "identity: uid/gid \(configuration.innerID) inside, mapped to host id \(root ? "\(configuration.hostID)" : "\(SystemCall.effectiveUserID) (your own)")"
        )
        report.enforced.append("capabilities: none in any set, securebits locked, no_new_privs")
        report.enforced.append(
            "filesystem: read-only root, /usr read-only, masked /proc, minimal /dev, size-capped /tmp and /work")
        report.enforced.append(
            "rlimits: CPU per process, file size, open files, stack, no core dumps, locked memory, processes")
        if seccompOK { report.enforced.append("seccomp: allowlist profiles (default, strict)") }
        if has("memory") {
            report.enforced.append(
                "memory: cgroup \(cgroup!) limit on the whole tree, swap off, OOM reported as memory_limit")
        } else {
            report.notEnforced.append(
                "memory of the whole tree: no cgroup memory controller; only an address-space rlimit per process")
        }
        if has("pids") {
            report.enforced.append("processes: cgroup \(cgroup!) pids limit on the whole tree")
        } else {
            report.notEnforced.append(
                "pids of the whole tree by cgroup: only RLIMIT_NPROC (per uid in the jail's user namespace)")
        }
        if has("cpuacct") || has("cpu") {
            report.enforced.append("CPU time of the whole tree: cgroup \(cgroup!) accounting, polled by the supervisor")
        } else {
            report.notEnforced.append(
                "CPU time of the whole tree: only RLIMIT_CPU per process (peak memory and CPU come from wait4)")
        }
        if initPath == nil { report.notEnforced.append("orphan reaping: omega-jail-init missing") }
        return report
    }

    /// The report as text, one check per line.
    public var text: String {
        var lines = checks.map { "\($0.ok ? "ok  " : "FAIL") \($0.name): \($0.detail)" }
        lines.append("")
        lines.append("Enforced:")
        lines += enforced.map { "  - \($0)" }
        if !notEnforced.isEmpty {
            lines.append("Not enforced here:")
            lines += notEnforced.map { "  - \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The report as one JSON object.
    public var json: String {
        func list(_ items: [String]) -> String {
            "["
                + items.map { item -> String in
                    var s = ""; JSONWriter.appendQuoted(item, to: &s); return s
                }.joined(separator: ",") + "]"
        }
        var out = JSONWriter()
        out.object { object in
            object.field("healthy", healthy)
            object.rawField(
                "checks",
                "["
                    + checks.map { check -> String in
                        var item = JSONWriter()
                        item.object {
                            $0.field("name", check.name)
                            $0.field("ok", check.ok)
                            $0.field("detail", check.detail)
                        }
                        return item.text
                    }.joined(separator: ",") + "]")
            object.rawField("enforced", list(enforced))
            object.rawField("notEnforced", list(notEnforced))
        }
        return out.text
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\n" || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\n" || c == "\t" { s.removeLast() }
        return String(s)
    }
}
#endif
