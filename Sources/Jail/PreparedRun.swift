#if os(Linux)
import CJail
import Glibc  // errno numbers only: every call goes through Syscalls
import SystemCalls

/// One run between spawn and verdict: its descriptors, cgroup lease and the child.
struct PreparedRun {
    let jail: Jail
    let spec: JailSpec
    var stdinFD: Int32 = -1
    var stdoutRead: Int32 = -1, stdoutWrite: Int32 = -1
    var stderrRead: Int32 = -1, stderrWrite: Int32 = -1
    var lease: CgroupLease?
    var child = cj_child(pid: 0, pidfd: -1, status_fd: -1, release_fd: -1, stack: nil, stack_size: 0)
    /// The C spec the child reads until it executes; kept until the run is reaped.
    var cSpec: CSpec?
    var blobFD: Int32 = -1

    init(jail: Jail, spec: JailSpec) throws(JailError) {
        self.jail = jail
        self.spec = spec
        do {
            stdinFD = try PreparedRun.openStdin(spec)
            (stdoutRead, stdoutWrite) = try Syscalls.pipe()
            (stderrRead, stderrWrite) = try Syscalls.pipe()
            try Syscalls.setNonBlocking(stdoutRead)
            try Syscalls.setNonBlocking(stderrRead)
        } catch {
            closeAll()
            throw error
        }
    }

    private static func openStdin(_ spec: JailSpec) throws(JailError) -> Int32 {
        if let data = spec.stdinData {
            return try data.withUnsafeBytes { bytes in
                Result { () throws(JailError) in try Syscalls.memoryFile(bytes, step: "stdin") }
            }.get()
        }
        let fd = try Syscalls.openRead(spec.stdinPath ?? "/dev/null", step: "open stdin")
        return try Syscalls.dupHigh(fd, closingOriginal: true)
    }

    /// Releases everything the run holds. A child still alive (an error after the spawn) is killed
    /// and reaped first: its stack and spec must outlive it.
    mutating func closeAll() {
        if child.pid > 0 {
            SystemCall.killAndReap(processDescriptor: child.pidfd)
            child.pid = 0
        }
        for fd in [
            stdinFD, stdoutRead, stdoutWrite, stderrRead, stderrWrite, child.pidfd, child.status_fd, child.release_fd,
            blobFD,
        ] {
            Syscalls.close(fd)
        }
        stdinFD = -1; stdoutRead = -1; stdoutWrite = -1; stderrRead = -1; stderrWrite = -1; blobFD = -1
        child.pidfd = -1; child.status_fd = -1; child.release_fd = -1
        // Only once the child has executed or died: it ran on this stack and read this spec.
        cj_child_free(&child)
        cSpec = nil
        lease?.release()
        lease = nil
    }

    /// Spawns, supervises and reaps the run.
    mutating func execute(started: UInt64, output: Jail.OutputMode, cancellation: JailCancellation? = nil)
        throws(JailError) -> JailResult
    {
        if let setup = jail.cgroupSetup {
            do {
                lease = try setup.takeLease(
                    limits: CgroupLimits(memoryBytes: spec.limits.memoryBytes, pids: spec.limits.pids))
            } catch {
                throw JailError(code: .sandboxFailure, message: "cgroup: \(error)")
            }
        }
        if jail.trace { Supervisor.traceLine("parent: start", started) }
        try spawn()
        if jail.trace { Supervisor.traceLine("parent: spawned", Syscalls.monotonicNs()) }
        Syscalls.close(stdoutWrite); stdoutWrite = -1
        Syscalls.close(stderrWrite); stderrWrite = -1
        Syscalls.close(stdinFD); stdinFD = -1
        Syscalls.close(blobFD); blobFD = -1

        if let failure = configureChild() {
            SystemCall.killAndReap(processDescriptor: child.pidfd)
            child.pid = 0
            return JailResult(
                status: .setupError, wallMs: Self.ms(since: started), error: failure,
                cgroup: jail.cgroupVersion)
        }
        var supervisor = Supervisor(run: self, output: output, started: started, cancellation: cancellation)
        let result = try supervisor.supervise()
        child.pid = 0  // reaped by the supervisor
        return result
    }

    /// Builds the C spec and clones the child (which waits for release).
    private mutating func spawn() throws(JailError) {
        let c = CSpec()
        let inner = jail.configuration.innerID
        // What to run: the init reads it from the launch blob; only without an init does the child
        // itself need it (so the C copies are made only then).
        let argv = [spec.program] + spec.arguments
        let environment = spec.effectiveEnvironment
        let searchPath =
            environment.first { $0.hasPrefix("PATH=") }
            .map { $0.dropFirst(5).split(separator: ":").map(String.init) } ?? []
        if jail.initFD >= 0 {
            blobFD = try LaunchBlob.memfd(
                program: spec.program, arguments: argv, environment: environment, searchPath: searchPath,
                seccomp: spec.seccompProgram ?? [], trace: jail.trace,
                egressPort: spec.egressSocket == nil ? 0 : UInt16(JailSpec.egressProxyPort))
        } else {
            // The relay to the egress socket is the init's: without it, egress cannot be honoured.
            if spec.egressSocket != nil {
                throw JailError(
                    code: .sandboxFailure, message: "egress: needs omega-jail-init, which was not found")
            }
            c.spec.path = UnsafePointer(c.cString(spec.program))
            c.spec.argv = UnsafePointer(c.cStringArray(argv))
            c.spec.envp = UnsafePointer(c.cStringArray(environment))
            let path = c.cStringArray(searchPath)
            c.spec.search_path = UnsafeRawPointer(path).assumingMemoryBound(to: UnsafePointer<CChar>?.self)
            if let program = spec.seccompProgram, !program.isEmpty {
                c.spec.seccomp_filter = c.bytes(program)
                c.spec.seccomp_filter_len = program.count / 8
            }
        }
        c.spec.workdir = UnsafePointer(c.cString(spec.workdir))
        c.spec.hostname = UnsafePointer(c.cString(spec.hostname))
        c.spec.inner_uid = inner
        c.spec.inner_gid = inner
        c.spec.clone_flags = UInt64(
            CJ_CLONE_NEWPID | CJ_CLONE_NEWNS | CJ_CLONE_NEWNET | CJ_CLONE_NEWIPC | CJ_CLONE_NEWUTS | CJ_CLONE_NEWCGROUP)
        c.spec.net_loopback = spec.network == .loopback ? 1 : 0
        c.spec.net_from_pool = jail.netnsPool ? 1 : 0
        c.spec.staging_dir = UnsafePointer(c.cString(jail.configuration.stagingDirectory))

        let entries = jail.root.entries(for: spec, innerUID: inner, innerGID: inner)
        let mounts = c.allocate(cj_mount.self, count: entries.count)
        for (index, entry) in entries.enumerated() {
            var m = cj_mount()
            m.kind = entry.kind
            m.flags = entry.flags
            if let source = entry.source {
                m.source = UnsafePointer(c.cString(source))
                m.source_len = source.count
            }
            m.target = UnsafePointer(c.cString(entry.target))
            if let data = entry.data { m.data = UnsafePointer(c.cString(data)) }
            m.mode = entry.mode
            mounts[index] = m
        }
        c.spec.mounts = UnsafePointer(mounts)
        c.spec.mount_count = entries.count

        let limits = RlimitPlan.limits(for: spec.limits, memoryByCgroup: lease != nil)
        let rlimits = c.allocate(cj_rlimit.self, count: limits.count)
        for (index, limit) in limits.enumerated() { rlimits[index] = limit }
        c.spec.rlimits = UnsafePointer(rlimits)
        c.spec.rlimit_count = limits.count

        c.spec.last_cap = jail.lastCap
        c.spec.stdin_fd = stdinFD
        c.spec.stdout_fd = stdoutWrite
        c.spec.stderr_fd = stderrWrite
        c.spec.init_fd = jail.initFD
        c.spec.blob_fd = blobFD
        c.spec.trace = jail.trace ? 1 : 0

        var started = cj_child(pid: 0, pidfd: -1, status_fd: -1, release_fd: -1, stack: nil, stack_size: 0)
        cSpec = c
        let rc = cj_spawn(&c.spec, &started)
        guard rc == 0 else {
            let err = errno
            let hint =
                err == EPERM || err == ENOSPC || err == EINVAL
                ? " (are unprivileged user namespaces enabled? see `omega-exec doctor`)" : ""
            throw JailError(code: .sandboxFailure, message: "clone: \(Errno.name(err))\(hint)", errno: err)
        }
        child = started
    }

    /// Writes the identity maps and attaches the cgroup, then releases the child. Returns a
    /// setup-error message instead of throwing, because the run already exists.
    private mutating func configureChild() -> String? {
        let pid = child.pid
        let inner = jail.configuration.innerID
        do {
            if jail.rootless { try Syscalls.writeFile("/proc/\(pid)/setgroups", "deny") }
            try Syscalls.writeFile("/proc/\(pid)/uid_map", "\(inner) \(jail.hostUID) 1\n")
            try Syscalls.writeFile("/proc/\(pid)/gid_map", "\(inner) \(jail.hostGID) 1\n")
        } catch {
            return "uid/gid map: \(error.message)"
        }
        if let lease {
            do { try lease.attach(pid: pid) } catch { return "cgroup attach: \(error)" }
        }
        if jail.trace { Supervisor.traceLine("parent: maps written, cgroup attached", Syscalls.monotonicNs()) }
        guard cj_release(&child) == 0 else { return "release: \(Errno.name(errno))" }
        return nil
    }

    static func ms(since start: UInt64) -> Double {
        Double(Syscalls.monotonicNs() &- start) / 1_000_000
    }
}
#endif
