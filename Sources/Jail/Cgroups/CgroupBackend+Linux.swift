#if os(Linux)
/// One run's cgroup: a `run-<n>` directory in each hierarchy used.
struct CgroupLeaf: Sendable {
    /// `run-<n>`.
    var name: String
    /// The leaf's directories (v1: one per hierarchy, in the backend's order; v2: one).
    var directories: [String]
    /// `cgroup.procs` of each directory, open for writing (hot-path attach); empty once handed over.
    var procsFDs: [Int32] = []
    /// v2: the leaf directory for `CLONE_INTO_CGROUP`; -1 on v1 or once handed over.
    var directoryFD: Int32 = -1
    /// The limits written in the leaf now.
    var limits: CgroupLimits

    /// Closes the descriptors and forgets them.
    mutating func closeDescriptors() {
        for fd in procsFDs { CgroupFS.close(fd) }
        procsFDs = []
        CgroupFS.close(directoryFD)
        directoryFD = -1
    }

    /// The leaf without its descriptors (for the manager's record of leased leaves).
    var withoutDescriptors: CgroupLeaf {
        var copy = self
        copy.procsFDs = []
        copy.directoryFD = -1
        return copy
    }
}

/// What differs between v1 and v2; the shared logic (attach, destroy, stale clean-up) is below.
protocol CgroupBackend: Sendable {
    /// The interface.
    var version: CgroupVersion { get }
    /// The controllers runs get.
    var controllers: [String] { get }
    /// The base directories (our cgroup, or the cgroup2 root) holding the per-supervisor directory.
    var bases: [String] { get }
    /// The per-supervisor directories `omega-exec-<pid>`, one per hierarchy.
    var parents: [String] { get }
    /// Creates `run-<n>` with `limits` written and its descriptors open. Cleans up after itself on failure.
    func makeLeaf(named name: String, limits: CgroupLimits) throws(CgroupError) -> CgroupLeaf
    /// Writes the limits that differ from `leaf.limits`, and records them.
    func apply(_ limits: CgroupLimits, to leaf: inout CgroupLeaf) throws(CgroupError)
    /// Throws `CGROUP_UNSUPPORTED` when `limits` needs a controller we do not have.
    func check(_ limits: CgroupLimits) throws(CgroupError)
    /// Reads the leaf's counters.
    func usage(of leaf: CgroupLeaf) -> CgroupUsage
    /// Kills every process of the leaf; true when the leaf is empty on return.
    func killAll(in leaf: CgroupLeaf) -> Bool
}

extension CgroupBackend {
    /// Moves `pid` (a whole thread group) into the leaf in every hierarchy, through the open fds.
    func attach(pid: Int32, to leaf: CgroupLeaf) throws(CgroupError) {
        var text = String(pid)
        text.append("\n")
        for (index, fd) in leaf.procsFDs.enumerated() {
            do {
                try CgroupFS.write(fd: fd, text, path: leaf.directories[index] + "/cgroup.procs")
            } catch {
                throw error.with(code: .attach, step: "attach pid \(pid)")
            }
        }
    }

    /// Removes the leaf's directories, killing what is left in them first; retried with back-off while
    /// the kernel still reports the group busy. Returns the last error when it gave up.
    @discardableResult
    func destroy(_ leaf: CgroupLeaf) -> CgroupError? {
        var leaf = leaf
        leaf.closeDescriptors()
        var killed = false
        var failure: CgroupError?
        for directory in leaf.directories {
            failure = nil
            for attempt in 0..<8 {
                do {
                    try CgroupFS.removeDirectory(directory)
                    failure = nil
                    break
                } catch {
                    failure = error
                    guard error.errno == CgroupFS.busy else { break }
                    if !killed {
                        killed = true
                        _ = killAll(in: leaf)
                    }
                    CgroupFS.sleep(microseconds: 500 << attempt)  // 0.5 ms ... 64 ms
                }
            }
        }
        return failure
    }

    /// Kills and removes everything under `directory` (depth first), then `directory` itself. Used for
    /// stale per-supervisor directories and for what is left in ours at shutdown.
    @discardableResult
    func removeTree(_ directory: String) -> CgroupError? {
        for child in CgroupFS.subdirectories(directory) { removeTree(directory + "/" + child) }
        var failure: CgroupError?
        for attempt in 0..<8 {
            do {
                try CgroupFS.removeDirectory(directory)
                return nil
            } catch {
                failure = error
                guard error.errno == CgroupFS.busy else { return error }
                Self.evacuate(directory)
                CgroupFS.sleep(microseconds: 500 << attempt)
            }
        }
        return failure
    }

    /// Best-effort kill of the members of one cgroup directory, whatever its version: thaws it, uses
    /// `cgroup.kill` when present, else SIGKILLs what `cgroup.procs` lists.
    static func evacuate(_ directory: String) {
        if CgroupFS.exists(directory + "/freezer.state") { try? CgroupFS.write(directory + "/freezer.state", "THAWED") }
        if CgroupFS.exists(directory + "/cgroup.freeze") { try? CgroupFS.write(directory + "/cgroup.freeze", "0") }
        if (try? CgroupFS.write(directory + "/cgroup.kill", "1")) != nil { return }
        for pid in CgroupDiscovery.pids(CgroupFS.readIfPresent(directory + "/cgroup.procs")) {
            CgroupFS.killProcess(pid)
        }
    }

    /// Removes the per-supervisor directories of supervisors that are gone (`omega-exec-<pid>` or
    /// `omega-exec-<pid>-<n>` where no process `pid` exists), with whatever they still hold.
    func removeStaleParents() {
        let me = CgroupFS.processID()
        for base in bases {
            for name in CgroupFS.subdirectories(base) where name.hasPrefix("omega-exec-") {
                let digits = name.dropFirst("omega-exec-".count).prefix { $0.isNumber }
                guard let pid = Int32(digits), pid != me, !CgroupFS.processExists(pid) else { continue }
                removeTree(base + "/" + name)
            }
        }
    }

    /// Removes our per-supervisor directories and anything left in them.
    func removeParents() {
        for parent in parents { removeTree(parent) }
    }
}

/// Deadline-bounded polling with back-off, shared by the kill loops.
struct CgroupBackoff {
    /// When to give up.
    let deadline: UInt64
    /// The next pause.
    private var pause = 50

    /// A back-off that gives up after `milliseconds`.
    init(milliseconds: Int) {
        deadline = CgroupFS.monotonicNanoseconds() + UInt64(milliseconds) * 1_000_000
    }

    /// Sleeps (50 µs doubling to 5 ms); false when the deadline has passed.
    mutating func wait() -> Bool {
        if CgroupFS.monotonicNanoseconds() >= deadline { return false }
        CgroupFS.sleep(microseconds: pause)
        pause = min(pause * 2, 5000)
        return true
    }
}
#endif
