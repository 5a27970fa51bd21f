#if os(Linux)
import Synchronization

/// One run's cgroup, from ``CgroupManager/lease(limits:)`` until ``release()``.
///
/// Typical use: clone the jail's init (v2: straight into ``cloneIntoFD`` with `CLONE_INTO_CGROUP`;
/// otherwise ``attach(pid:)`` before releasing it), wait for the run, ``killAll()``, read ``usage()``,
/// then ``release()``. Thread-safe.
public final class CgroupLease: Sendable {
    /// The leaf's name (`run-<n>`).
    public let name: String
    /// The leaf's directories (v1: one per hierarchy, memory first; v2: one).
    public let directories: [String]
    /// The limits written in the leaf.
    public let limits: CgroupLimits
    /// v2: an `O_RDONLY|O_DIRECTORY|O_CLOEXEC` fd of the leaf, for `clone3` with `CLONE_INTO_CGROUP`;
    /// -1 on v1. Valid until ``release()``.
    public let cloneIntoFD: Int32

    private let manager: CgroupManager
    private let state: Mutex<State>

    private struct State: Sendable {
        var leaf: CgroupLeaf
        var released = false
    }

    init(manager: CgroupManager, leaf: CgroupLeaf) {
        self.manager = manager
        self.name = leaf.name
        self.directories = leaf.directories
        self.limits = leaf.limits
        self.cloneIntoFD = leaf.directoryFD
        self.state = Mutex(State(leaf: leaf))
    }

    deinit { release() }

    /// Moves process `pid` (its whole thread group) into the leaf: v1 writes it to `cgroup.procs` of every
    /// hierarchy used (memory, pids, cpuacct, freezer); v2 to the leaf's `cgroup.procs` (not needed after
    /// `CLONE_INTO_CGROUP`). Hot path: the files are already open.
    /// - Parameter pid: the process, as our pid namespace numbers it.
    /// - Throws: `CGROUP_ATTACH` naming the file and errno; `CGROUP_RELEASED` after ``release()``.
    public func attach(pid: Int32) throws(CgroupError) {
        try state.withLock { state throws(CgroupError) in
            guard !state.released else {
                throw CgroupError(code: .released, message: "attach pid \(pid): \(name) was released")
            }
            try manager.backend.attach(pid: pid, to: state.leaf)
        }
    }

    /// The leaf's counters: peak memory, CPU time, OOM kills, limit hits. Read it before ``release()``;
    /// afterwards the leaf may be gone and the fields nil.
    /// - Returns: what the kernel measured.
    public func usage() -> CgroupUsage {
        manager.backend.usage(of: CgroupLeaf(name: name, directories: directories, limits: limits))
    }

    /// Kills every process of the leaf. v2: `cgroup.kill`; v1: freeze, SIGKILL each member, thaw, until
    /// `cgroup.procs` is empty. When it returns true, no process of the run is left (they may still await
    /// `wait` by their parent as zombies, but hold nothing). Gives up after 5 s (processes stuck in the
    /// kernel) and returns false.
    /// - Returns: whether the leaf is empty.
    @discardableResult
    public func killAll() -> Bool {
        manager.backend.killAll(in: CgroupLeaf(name: name, directories: directories, limits: limits))
    }

    /// Hands the leaf back: closes its descriptors now and removes its directories in the background
    /// (killing anything still inside first). Idempotent; also done on deinit.
    public func release() {
        let leaf: CgroupLeaf? = state.withLock { state in
            if state.released { return nil }
            state.released = true
            state.leaf.closeDescriptors()
            return state.leaf
        }
        if let leaf { manager.retire(leaf) }
    }
}
#endif
