#if os(Linux)
import Synchronization

/// Hands out one cgroup per run, fast: leaves are made ahead of time by a background thread and removed
/// by another, so that ``lease(limits:)`` does no `mkdir` and `release()` no `rmdir`.
///
/// Layout: a per-supervisor directory `omega-exec-<pid>` (one per hierarchy on v1), with one leaf
/// `run-<n>` per run. v1 puts it under our own cgroup of each hierarchy (memory, pids, cpuacct, freezer);
/// v2 under the cgroup2 root when we are root, else under our own cgroup when it is delegated to us
/// (systemd `Delegate=yes`, or a user session's `user@.service`): the supervisor then moves itself into
/// `<own>/supervisor` to satisfy the no-internal-processes rule. Directories of dead supervisors are
/// removed at start-up; ours at ``shutdown()`` or process exit (`atexit`). A supervisor killed by a
/// signal leaves its directory to the next start-up.
///
/// A manager lives until ``shutdown()`` or exit: it is registered for the exit clean-up. Thread-safe.
public final class CgroupManager: Sendable {
    /// The interface in use.
    public let version: CgroupVersion
    /// The controllers runs get: `memory`, `pids`, and `cpuacct`/`freezer` (v1) or `cpu` (v2) when present.
    public let controllers: [String]
    /// How many ready leaves the background queue keeps.
    public let poolSize: Int
    /// Our per-supervisor directories (`.../omega-exec-<pid>`), one per hierarchy.
    public var supervisorDirectories: [String] { backend.parents }

    let backend: any CgroupBackend
    private let state: Mutex<State>
    private let refiller = CgroupWorker()
    private let reaper = CgroupWorker()

    private struct State: Sendable {
        var pool: [CgroupLeaf] = []
        /// Leased leaves (without descriptors, which the leases own), by name, for shutdown.
        var leased: [String: CgroupLeaf] = [:]
        var counter = 0
        var refilling = false
        var shutDown = false
        var lastBackgroundError: CgroupError?
    }

    private init(backend: any CgroupBackend, poolSize: Int) {
        self.backend = backend
        self.version = backend.version
        self.controllers = backend.controllers
        self.poolSize = max(0, poolSize)
        self.state = Mutex(State())
    }

    // MARK: Creating

    /// What this machine offers, following `OMEGA_CGROUP` (`none`, `v1`, `v2`, `auto`). Creates nothing.
    /// - Returns: the version and paths that ``make(poolSize:)`` would use, or why it would return nil.
    public static func detect() -> CgroupSupport {
        CgroupDiscovery.plan(force: CgroupFS.environment("OMEGA_CGROUP")).1
    }

    /// A manager for this machine's cgroups, or nil when none is usable (e.g. rootless without
    /// delegation, or `OMEGA_CGROUP=none`). ``detect()`` says why.
    /// - Parameter poolSize: ready leaves to keep (0: every lease creates its own, for one-shot use).
    /// - Returns: the manager, or nil.
    public static func make(poolSize: Int = 4) -> CgroupManager? {
        try? create(poolSize: poolSize)
    }

    /// Like ``make(poolSize:)``, but says why it failed.
    /// - Parameter poolSize: ready leaves to keep.
    /// - Returns: the manager.
    /// - Throws: `CGROUP_UNAVAILABLE` with the reason.
    public static func create(poolSize: Int = 4) throws(CgroupError) -> CgroupManager {
        try create(poolSize: poolSize, force: CgroupFS.environment("OMEGA_CGROUP"))
    }

    /// `create`, with `OMEGA_CGROUP` and the v2 controllers required given explicitly (tests use the
    /// controller-less cgroup2 of hybrid machines with `requiredV2: []`).
    static func create(
        poolSize: Int, force: String?, requiredV2: [String] = CgroupDiscovery.v2Required
    ) throws(CgroupError) -> CgroupManager {
        let (plan, support) = CgroupDiscovery.plan(force: force, requiredV2: requiredV2)
        guard let plan else {
            throw CgroupError(code: .unavailable, message: support.reason ?? "no usable cgroup")
        }
        let parentName = CgroupRegistry.shared.nextParentName()
        let backend: any CgroupBackend
        do {
            switch plan {
            case .v1(let hierarchies):
                backend = try CgroupV1Backend(hierarchies: hierarchies, parentName: parentName)
            case .v2(let v2):
                backend = try CgroupV2Backend(plan: v2, parentName: parentName, required: requiredV2)
            }
        } catch {
            throw error.with(code: .unavailable, step: "set up \(parentName)")
        }
        let manager = CgroupManager(backend: backend, poolSize: poolSize)
        CgroupRegistry.shared.register(manager)
        manager.reaper.async { backend.removeStaleParents() }
        manager.scheduleRefill()
        return manager
    }

    // MARK: Leasing

    /// A cgroup for one run, with `limits` written. Hot path: takes a pre-made leaf from the pool and
    /// writes only the limits that differ from the jail's defaults; creates one itself only when the pool
    /// is empty.
    /// - Parameter limits: the run's limits.
    /// - Returns: the lease; call ``CgroupLease/release()`` when the run is over.
    /// - Throws: `CGROUP_UNSUPPORTED` for a limit of a missing controller, `CGROUP_SETUP` when a write or
    ///   mkdir fails, `CGROUP_UNAVAILABLE` after ``shutdown()``.
    public func lease(limits: CgroupLimits = .jailDefaults) throws(CgroupError) -> CgroupLease {
        try backend.check(limits)
        let (pooled, name, refill) = try state.withLock { state throws(CgroupError) in
            guard !state.shutDown else {
                throw CgroupError(code: .unavailable, message: "cgroup manager shut down")
            }
            var refill = false
            if poolSize > 0 && !state.refilling {
                state.refilling = true
                refill = true
            }
            if let leaf = state.pool.popLast() {
                state.leased[leaf.name] = leaf.withoutDescriptors
                return (Optional(leaf), leaf.name, refill)
            }
            state.counter += 1
            return (nil, "run-\(state.counter)", refill)
        }
        if refill { refiller.async { self.refill() } }
        guard var leaf = pooled else { return try leaseNew(named: name, limits: limits) }
        if leaf.limits != limits {
            do {
                try backend.apply(limits, to: &leaf)
            } catch {
                leaf.closeDescriptors()
                retire(leaf)
                throw error.with(code: .setup, step: "limits of \(name)")
            }
        }
        return CgroupLease(manager: self, leaf: leaf)
    }

    /// The slow path: an empty pool.
    private func leaseNew(named name: String, limits: CgroupLimits) throws(CgroupError) -> CgroupLease {
        var leaf = try backend.makeLeaf(named: name, limits: limits)
        let kept = state.withLock { state in
            if state.shutDown { return false }
            state.leased[leaf.name] = leaf.withoutDescriptors
            return true
        }
        guard kept else {
            leaf.closeDescriptors()
            backend.destroy(leaf)
            throw CgroupError(code: .unavailable, message: "cgroup manager shut down")
        }
        return CgroupLease(manager: self, leaf: leaf)
    }

    /// Takes back a released leaf (descriptors already closed) and removes it in the background.
    func retire(_ leaf: CgroupLeaf) {
        let owned = state.withLock { $0.leased.removeValue(forKey: leaf.name) != nil }
        guard owned else { return }  // shutdown() already removed it
        reaper.async {
            if let failure = self.backend.destroy(leaf) {
                self.state.withLock { $0.lastBackgroundError = failure }
            }
        }
    }

    // MARK: Background

    private func scheduleRefill() {
        let start = state.withLock { state in
            if state.refilling || state.shutDown || poolSize == 0 { return false }
            state.refilling = true
            return true
        }
        if start { refiller.async { self.refill() } }
    }

    /// Tops the pool up to `poolSize` leaves with the jail's default limits (runs on `refiller`).
    private func refill() {
        // Not urgent while leaves remain: let the lease's attach (a millisecond later) run without our
        // mkdirs contending for the cgroupfs locks.
        if readyCount > 0 { CgroupFS.sleep(microseconds: 2000) }
        while true {
            let name: String? = state.withLock { state in
                guard !state.shutDown, state.pool.count < poolSize else {
                    state.refilling = false
                    return nil
                }
                state.counter += 1
                return "run-\(state.counter)"
            }
            guard let name else { return }
            do {
                var leaf = try backend.makeLeaf(named: name, limits: .jailDefaults)
                let kept = state.withLock { state in
                    if state.shutDown { return false }
                    state.pool.append(leaf)
                    return true
                }
                if !kept {
                    leaf.closeDescriptors()
                    backend.destroy(leaf)
                }
            } catch {
                state.withLock { state in
                    state.refilling = false
                    state.lastBackgroundError = error
                }
                return
            }
        }
    }

    /// The last failure of background work (pool refill, leaf removal), for logs and `doctor`.
    public var lastBackgroundError: CgroupError? {
        state.withLock { $0.lastBackgroundError }
    }

    /// How many leaves are ready now.
    var readyCount: Int { state.withLock { $0.pool.count } }

    /// Waits until the background queues are idle (tests).
    func waitForBackgroundWork() {
        refiller.sync()
        reaper.sync()
    }

    // MARK: Shutdown

    /// Kills whatever still runs in our leaves and removes every directory we made (leaves and the
    /// per-supervisor ones). Synchronous; idempotent; runs at process exit for managers still alive.
    /// Leases still held turn inert: their leaf is gone, so ``CgroupLease/attach(pid:)`` throws and
    /// ``CgroupLease/usage()`` reads nothing.
    public func shutdown() {
        let taken: [CgroupLeaf]? = state.withLock { state in
            if state.shutDown { return nil }
            state.shutDown = true
            let all = state.pool + Array(state.leased.values)
            state.pool = []
            state.leased = [:]
            return all
        }
        guard let taken else { return }
        refiller.sync()
        reaper.sync()
        for leaf in taken { backend.destroy(leaf) }
        backend.removeParents()
        refiller.stop()
        reaper.stop()
        CgroupRegistry.shared.unregister(self)
    }
}

/// The managers alive in this process, shut down at exit.
final class CgroupRegistry: Sendable {
    /// The process-wide registry; installs the `atexit` hook on first use.
    static let shared = CgroupRegistry()

    private let managers = Mutex<[ObjectIdentifier: CgroupManager]>([:])
    private let parents = Atomic<Int>(0)
    private let owner: Int32

    private init() {
        owner = CgroupFS.processID()
        CgroupFS.runAtExit { CgroupRegistry.shared.shutdownAll() }
    }

    /// `omega-exec-<pid>` for the first manager of the process, `omega-exec-<pid>-<n>` after.
    func nextParentName() -> String {
        let n = parents.wrappingAdd(1, ordering: .relaxed).oldValue
        let pid = CgroupFS.processID()
        return n == 0 ? "omega-exec-\(pid)" : "omega-exec-\(pid)-\(n)"
    }

    func register(_ manager: CgroupManager) {
        managers.withLock { $0[ObjectIdentifier(manager)] = manager }
    }

    func unregister(_ manager: CgroupManager) {
        _ = managers.withLock { $0.removeValue(forKey: ObjectIdentifier(manager)) }
    }

    /// The exit hook: shuts every manager down, in the supervisor only (not in a child that calls `exit`).
    private func shutdownAll() {
        guard CgroupFS.processID() == owner else { return }
        let all = managers.withLock { Array($0.values) }
        for manager in all { manager.shutdown() }
    }
}
#endif
