#if os(Linux)
import Glibc  // SIGKILL only: every call goes through SystemCalls
import SystemCalls

/// The cgroup layer's vocabulary of system calls, over the `SystemCalls` module: whole-file reads,
/// one-value writes, leaf directories, kills.
///
/// Failures become a ``CgroupError`` naming the call, the path and the errno
/// (`write /sys/fs/cgroup/.../pids.max: EINVAL`). Its `code` is `CGROUP_SETUP`; callers re-code it
/// (`CGROUP_ATTACH`) where that says more. No other cgroup file touches a file or a process (the
/// worker thread's pthread calls aside).
enum CgroupFS {
    /// The error for a failed system call: `CGROUP_SETUP`, `<call> <path>: ENAME`.
    static func failure(_ error: SystemCallError) -> CgroupError {
        CgroupError(code: .setup, message: error.description, errno: error.errno.rawValue)
    }

    /// Runs `body`, turning its ``SystemCallError`` into ``failure(_:)``.
    @inline(__always)
    private static func mapped<T>(_ body: () throws(SystemCallError) -> T) throws(CgroupError) -> T {
        do throws(SystemCallError) { return try body() } catch { throw failure(error) }
    }

    /// `EBUSY`: a cgroup that still has members or children.
    static let busy = Errno.busy.rawValue

    // MARK: Files

    /// Opens the directory `path` read-only (`O_RDONLY|O_DIRECTORY|O_CLOEXEC`), as `CLONE_INTO_CGROUP`
    /// needs (an `O_PATH` fd is refused by the kernel there).
    static func openDirectory(_ path: String) throws(CgroupError) -> Int32 {
        try mapped { () throws(SystemCallError) in try SystemCall.open(path, .directory) }
    }

    /// Opens `path` for writing (`O_WRONLY|O_CLOEXEC`), e.g. a `cgroup.procs` kept open for the hot path.
    static func openForWriting(_ path: String) throws(CgroupError) -> Int32 {
        try mapped { () throws(SystemCallError) in try SystemCall.open(path, .writeOnly) }
    }

    /// Closes `fd`; ignores `-1`.
    static func close(_ fd: Int32) { SystemCall.close(fd) }

    /// Reads the whole file at `path` as UTF-8.
    static func read(_ path: String) throws(CgroupError) -> String {
        String(decoding: try mapped { () throws(SystemCallError) in try SystemCall.readFile(path) }, as: UTF8.self)
    }

    /// The content of `path`, or nil when it cannot be read (absent file, controller not enabled).
    static func readIfPresent(_ path: String) -> String? {
        try? read(path)
    }

    /// Writes `value` to `path` in one `write(2)` (cgroupfs takes one value per write).
    static func write(_ path: String, _ value: String) throws(CgroupError) {
        try mapped { () throws(SystemCallError) in try SystemCall.writeFile(path, text: value) }
    }

    /// Writes `value` to the open `fd` in one `write(2)`; `path` names it in errors.
    static func write(fd: Int32, _ value: String, path: String) throws(CgroupError) {
        try mapped { () throws(SystemCallError) in try SystemCall.writeOnce(fd, text: value, step: "write \(path)") }
    }

    /// Whether `path` exists (`access(F_OK)`).
    static func exists(_ path: String) -> Bool { SystemCall.isAccessible(path, .exists) }

    /// Whether we may write to `path` (`access(W_OK)`: real uid, as delegation is checked).
    static func isWritable(_ path: String) -> Bool { SystemCall.isAccessible(path, .writable) }

    // MARK: Directories

    /// Creates the directory `path` (mode 0755). Returns false when it already existed.
    @discardableResult
    static func makeDirectory(_ path: String) throws(CgroupError) -> Bool {
        try mapped { () throws(SystemCallError) in try SystemCall.makeDirectory(path, existingIsFine: true) }
    }

    /// Removes the cgroup directory `path`. An absent directory counts as removed.
    static func removeDirectory(_ path: String) throws(CgroupError) {
        do throws(SystemCallError) {
            try SystemCall.removeDirectory(path)
        } catch  where error.errno == .noEntry {
            return
        } catch {
            throw failure(error)
        }
    }

    /// The names of the subdirectories of `path`, without `.` and `..`; empty when `path` cannot be listed.
    static func subdirectories(_ path: String) -> [String] {
        let entries = (try? SystemCall.listDirectory(atPath: path)) ?? []
        return entries.compactMap { $0.kind == .directory ? $0.text : nil }
    }

    // MARK: Processes

    /// Sends SIGKILL to `pid`. Returns false when it is already gone (`ESRCH`) or not ours.
    @discardableResult
    static func killProcess(_ pid: Int32) -> Bool { SystemCall.sendSignal(SIGKILL, toProcess: pid) }

    /// Whether a process `pid` exists in our pid namespace (`EPERM` means it does).
    static func processExists(_ pid: Int32) -> Bool { SystemCall.processExists(pid) }

    /// Our process id.
    static func processID() -> Int32 { SystemCall.processID }

    /// Our effective user id.
    static func effectiveUserID() -> UInt32 { SystemCall.effectiveUserID }

    /// The value of the environment variable `name`.
    static func environment(_ name: String) -> String? { SystemCall.environment(name) }

    /// Sleeps `microseconds` (restarted on `EINTR` with the time left).
    static func sleep(microseconds: Int) { SystemCall.sleep(microseconds: microseconds) }

    /// The monotonic clock in nanoseconds.
    static func monotonicNanoseconds() -> UInt64 { SystemCall.monotonicNanoseconds() }

    /// Registers `hook` to run at `exit(3)`.
    static func runAtExit(_ hook: @convention(c) () -> Void) { SystemCall.runAtExit(hook) }
}
#endif
