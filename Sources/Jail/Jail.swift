#if os(Linux)
import CCap
import CJail

/// Runs programs in a Linux namespace + seccomp jail and reports each run as a verdict.
///
/// One `Jail` serves many runs, from any number of threads. `run` blocks the calling thread until
/// the run is over; when it returns, every process of the run is dead, its cgroup is handed to the
/// background reaper, and its mounts are gone with its mount namespace.
public final class Jail: Sendable {
    /// How this jail maps identities and enforces limits.
    public struct Configuration: Sendable {
        /// The uid/gid the program has inside the jail (never 0).
        public var innerID: UInt32 = 1000
        /// The unprivileged host id the inner id maps to when the supervisor is root. Rootless
        /// supervisors always map to their own ids.
        public var hostID: UInt32 = 0x7000_0000
        /// Use cgroups when the machine offers them (`OMEGA_CGROUP=none` also turns them off).
        public var useCgroups = true
        /// Host directory the child builds the root on, inside its private mount namespace.
        public var stagingDirectory = "/tmp"
        /// Run `omega-jail-init` as pid 1, which reaps orphans (the program then runs as pid 2).
        /// Found beside the executable, at `$OMEGA_JAIL_INIT`, or in `/usr/local/libexec/omega-exec`;
        /// without it the program runs as pid 1.
        public var useInit = true
        /// Cgroup leaves kept ready by a background thread. 0 suits one-shot processes (the CLI): one
        /// leaf with the default limits is then made ahead, while the caller builds its spec.
        public var cgroupPoolSize = 4
        /// Fresh network namespaces kept ready by a background thread (root only; 0 disables). Each
        /// serves exactly one run; when none is ready the clone creates one.
        public var networkNamespacePool = 2

        /// The defaults.
        public init() {}
    }

    /// The configuration in force.
    public let configuration: Configuration
    /// Whether the supervisor runs without root (unprivileged user namespaces only).
    public let rootless: Bool
    let cgroupSetup: CgroupSetup?
    var cgroups: CgroupManager? { cgroupSetup?.manager }
    let root: RootFilesystem
    let lastCap: Int32
    /// The host uid the program's inner uid maps to: `configuration.hostID` when the supervisor is
    /// root, the supervisor's own uid when rootless. Files the program creates in a writable bind are
    /// owned by it on the host (e.g. the `ownerUID` of a `JailOutbox`).
    public let hostUID: UInt32
    /// The host gid the program's inner gid maps to (as `hostUID`, for groups).
    public let hostGID: UInt32
    /// Whether runs take their network namespace from the background pool.
    let netnsPool: Bool
    /// An O_PATH descriptor of `omega-jail-init`, or -1 (the program then runs as pid 1).
    let initFD: Int32
    /// `OMEGA_JAIL_TRACE=1`: print the child's setup phases with timestamps to stderr.
    let trace: Bool

    /// Prepares a jail: inspects the host once and starts the cgroup pool when cgroups are usable.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        let ids = Syscalls.effectiveIDs
        rootless = ids.uid != 0
        hostUID = rootless ? ids.uid : configuration.hostID
        hostGID = rootless ? ids.gid : configuration.hostID
        JailTrace.mark("jail: init")
        cgroupSetup =
            configuration.useCgroups
            ? CgroupSetup(poolSize: configuration.cgroupPoolSize, prepareLease: configuration.cgroupPoolSize == 0) : nil
        JailTrace.mark("jail: cgroups")
        root = RootFilesystem(innerUID: configuration.innerID, innerGID: configuration.innerID, hostname: "omega")
        JailTrace.mark("jail: root filesystem")
        lastCap = Int32(cap_max_bits()) - 1
        trace = JailTrace.enabled
        netnsPool =
            !rootless && configuration.networkNamespacePool > 0
            && cj_netns_pool_start(Int32(configuration.networkNamespacePool)) == 0
        initFD = configuration.useInit ? JailPaths.initExecutable.map(Syscalls.openPath) ?? -1 : -1
    }

    deinit {
        Syscalls.close(initFD)
    }

    /// Removes what this jail prepared ahead (cgroup directories) and stops its cgroup threads. Only
    /// for a process about to end or `exec` without having run anything; runs must not be active.
    public func shutdown() {
        cgroupSetup?.shutdown()
    }

    /// Whether runs start with `omega-jail-init` as pid 1.
    public var hasInit: Bool { initFD >= 0 }

    /// The cgroup backend in use: `v1`, `v2` or `none`.
    public var cgroupVersion: String { cgroups?.version.rawValue ?? "none" }

    /// Where the program's output goes while it runs.
    public enum OutputMode: Sendable {
        /// Captured into the result (up to the cap).
        case capture
        /// Written through to these descriptors as it arrives (up to the cap) and not captured.
        case passthrough(stdout: Int32, stderr: Int32)
    }

    /// Runs `spec` and returns its verdict. Failures of the program (including a failed `execve`
    /// or a failed jail setup step) are verdicts, not thrown errors.
    ///
    /// - Parameters:
    ///   - spec: what to run.
    ///   - output: where the program's output goes.
    ///   - cancellation: a token another thread may cancel: the whole run is then killed and the verdict
    ///     is `signaled` with `SIGKILL` and the error `cancelled by the caller`. A token already cancelled
    ///     when `run` is called yields that verdict at once, without starting anything.
    /// - Throws: `JailError` with code `INVALID_INPUT` when the spec is invalid, `SANDBOX_FAILURE`
    ///   when the supervisor itself cannot start the run (no pipes, clone refused).
    /// - Returns: the result; every process of the run is dead when it returns.
    public func run(_ spec: JailSpec, output: OutputMode = .capture, cancellation: JailCancellation? = nil)
        throws(JailError) -> JailResult
    {
        try spec.validate()
        let started = Syscalls.monotonicNs()
        if let cancellation, cancellation.isCancelled {
            return JailResult.cancelled(wallMs: PreparedRun.ms(since: started), cgroup: cgroupVersion)
        }
        var run = try PreparedRun(jail: self, spec: spec)
        defer { run.closeAll() }
        return try run.execute(started: started, output: output, cancellation: cancellation)
    }
}
#endif
