#if os(Linux)
import SystemCalls
import Glibc

/// Every system call of the cgroup layer: file reads and writes on cgroupfs, mkdir/rmdir, kill.
///
/// Each wrapper retries `EINTR` and throws a ``CgroupError`` naming the call, the path and the errno
/// (`write /sys/fs/cgroup/.../pids.max: EINVAL`). Its `code` is `CGROUP_SETUP`; callers re-code it
/// (`CGROUP_ATTACH`) where that says more. No other cgroup file imports Glibc.
enum CgroupFS {
    /// The error for a failed call `call` on `path` with `errno` `err`.
    static func failure(_ call: String, _ path: String, _ err: Int32) -> CgroupError {
        CgroupError(code: "CGROUP_SETUP", message: "\(call) \(path): \(Errno.name(err))", errno: err)
    }

    /// `EBUSY`: a cgroup that still has members or children.
    static let busy = EBUSY

    // MARK: Files

    /// Opens `path` (`open(2)`) with `flags | O_CLOEXEC`.
    static func open(_ path: String, _ flags: Int32) throws(CgroupError) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC)
            if fd >= 0 { return fd }
            let err = errno
            if err != EINTR { throw failure("open", path, err) }
        }
    }

    /// Opens the directory `path` read-only (`O_RDONLY|O_DIRECTORY|O_CLOEXEC`), as `CLONE_INTO_CGROUP`
    /// needs (an `O_PATH` fd is refused by the kernel there).
    static func openDirectory(_ path: String) throws(CgroupError) -> Int32 {
        try open(path, O_RDONLY | O_DIRECTORY)
    }

    /// Opens `path` for writing (`O_WRONLY|O_CLOEXEC`), e.g. a `cgroup.procs` kept open for the hot path.
    static func openForWriting(_ path: String) throws(CgroupError) -> Int32 {
        try open(path, O_WRONLY)
    }

    /// Closes `fd` (`close(2)`); never retried (Linux releases the fd even on `EINTR`). Ignores `-1`.
    static func close(_ fd: Int32) {
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    /// Reads the whole file at `path` (`open`, `read` until EOF, `close`) as UTF-8.
    static func read(_ path: String) throws(CgroupError) -> String {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        var bytes: [UInt8] = []
        let err: Int32 = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { buffer in
            while true {
                let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
                if n > 0 {
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<n]))
                } else if n == 0 {
                    return 0
                } else if errno != EINTR {
                    return errno
                }
            }
        }
        if err != 0 { throw failure("read", path, err) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The content of `path`, or nil when it cannot be read (absent file, controller not enabled).
    static func readIfPresent(_ path: String) -> String? {
        try? read(path)
    }

    /// Writes `value` to `path` in one `write(2)` (cgroupfs takes one value per write).
    static func write(_ path: String, _ value: String) throws(CgroupError) {
        let fd = try open(path, O_WRONLY)
        defer { close(fd) }
        try write(fd: fd, value, path: path)
    }

    /// Writes `value` to the open `fd` in one `write(2)`; `path` names it in errors.
    static func write(fd: Int32, _ value: String, path: String) throws(CgroupError) {
        var value = value
        let err: Int32 = value.withUTF8 { bytes in
            while true {
                let n = Glibc.write(fd, bytes.baseAddress, bytes.count)
                if n == bytes.count { return 0 }
                if n >= 0 { return EIO }  // a short write to a cgroup file: never seen, but not success
                if errno != EINTR { return errno }
            }
        }
        if err != 0 { throw failure("write", path, err) }
    }

    /// Whether `path` exists (`access(F_OK)`).
    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Whether we may write to `path` (`access(W_OK)`: real uid, as delegation is checked).
    static func isWritable(_ path: String) -> Bool {
        access(path, W_OK) == 0
    }

    // MARK: Directories

    /// Creates the directory `path` (`mkdir(2)`, mode 0755). Returns false when it already existed.
    @discardableResult
    static func makeDirectory(_ path: String) throws(CgroupError) -> Bool {
        while true {
            if Glibc.mkdir(path, 0o755) == 0 { return true }
            let err = errno
            if err == EEXIST { return false }
            if err != EINTR { throw failure("mkdir", path, err) }
        }
    }

    /// Removes the cgroup directory `path` (`rmdir(2)`). An absent directory counts as removed.
    static func removeDirectory(_ path: String) throws(CgroupError) {
        while true {
            if Glibc.rmdir(path) == 0 { return }
            let err = errno
            if err == ENOENT { return }
            if err != EINTR { throw failure("rmdir", path, err) }
        }
    }

    /// The names of the subdirectories of `path` (`opendir`/`readdir`), without `.` and `..`;
    /// empty when `path` cannot be listed.
    static func subdirectories(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    // MARK: Processes

    /// Sends SIGKILL to `pid` (`kill(2)`). Returns false when it is already gone (`ESRCH`) or not ours.
    @discardableResult
    static func killProcess(_ pid: Int32) -> Bool {
        pid > 0 && Glibc.kill(pid, SIGKILL) == 0
    }

    /// Whether a process `pid` exists in our pid namespace (`kill(pid, 0)`; `EPERM` means it does).
    static func processExists(_ pid: Int32) -> Bool {
        if pid <= 0 { return false }
        return Glibc.kill(pid, 0) == 0 || errno == EPERM
    }

    /// Our process id (`getpid(2)`).
    static func processID() -> Int32 { getpid() }

    /// Our effective user id (`geteuid(2)`).
    static func effectiveUserID() -> UInt32 { geteuid() }

    /// The value of the environment variable `name` (`getenv(3)`).
    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Sleeps `microseconds` (`nanosleep(2)`, restarted on `EINTR` with the time left).
    static func sleep(microseconds: Int) {
        var request = timespec(tv_sec: microseconds / 1_000_000, tv_nsec: (microseconds % 1_000_000) * 1000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    /// The monotonic clock in nanoseconds (`clock_gettime(CLOCK_MONOTONIC)`).
    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// Registers `hook` to run at `exit(3)` (`atexit(3)`).
    static func runAtExit(_ hook: @convention(c) () -> Void) {
        _ = atexit(hook)
    }
}
#endif
