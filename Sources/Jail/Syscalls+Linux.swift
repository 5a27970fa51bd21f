#if os(Linux)
import CJail
import Glibc

/// The supervisor's system calls: each retries `EINTR` and throws a `JailError` naming the step.
/// No other file of the jail calls Glibc for raw system calls.
public enum Syscalls {
    /// `pipe2(O_CLOEXEC)`; returns (read, write).
    static func pipe() throws(JailError) -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        guard cj_pipe(&fds) == 0 else { throw .system("pipe2", errno: errno) }
        return (fds[0], fds[1])
    }

    /// Makes `fd` non-blocking.
    static func setNonBlocking(_ fd: Int32) throws(JailError) {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw .system("fcntl O_NONBLOCK", errno: errno)
        }
    }

    /// Duplicates `fd` to a descriptor >= 3 (close-on-exec), so it can never collide with 0, 1, 2.
    static func dupHigh(_ fd: Int32, closingOriginal: Bool = false) throws(JailError) -> Int32 {
        if fd >= 3 && closingOriginal { return fd }
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, 3)
        let err = errno
        if closingOriginal { _ = Glibc.close(fd) }
        guard copy >= 0 else { throw .system("fcntl F_DUPFD_CLOEXEC", errno: err) }
        return copy
    }

    /// `open(path, O_RDONLY|O_CLOEXEC)`.
    static func openRead(_ path: String, step: String) throws(JailError) -> Int32 {
        while true {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { return fd }
            if errno != EINTR { throw .system("\(step) \(path)", errno: errno) }
        }
    }

    /// Closes `fd` when it is valid.
    static func close(_ fd: Int32) {
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    /// Reads what is available; nil on EAGAIN, empty on EOF.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(JailError) -> Int? {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            switch errno {
            case EINTR: continue
            case EAGAIN: return nil
            default: throw .system("read", errno: errno)
            }
        }
    }

    /// Writes all of `bytes` (blocking), ignoring EPIPE (a reader that left is not our failure).
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN {
                    var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = Glibc.poll(&pfd, 1, 100)
                    continue
                }
                return
            }
            offset += n
        }
    }

    /// `poll` with a timeout in milliseconds (-1: forever); EINTR counts as "nothing happened".
    static func poll(_ fds: inout [pollfd], timeoutMs: Int32) throws(JailError) -> Int32 {
        let n = Glibc.poll(&fds, nfds_t(fds.count), timeoutMs)
        if n < 0 {
            if errno == EINTR { return 0 }
            throw .system("poll", errno: errno)
        }
        return n
    }

    /// Writes a whole small file (maps, cgroup knobs).
    static func writeFile(_ path: String, _ text: String) throws(JailError) {
        var text = text
        let rc = text.withUTF8 {
            cj_write_file(path, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), $0.count)
        }
        guard rc == 0 else { throw .system("write \(path)", errno: errno) }
    }

    /// Reads a small file; nil when it cannot be read.
    static func readFile(_ path: String, capacity: Int = 4096) -> String? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer -> String? in
            let n = cj_read_file(path, buffer.baseAddress!, capacity)
            guard n >= 0 else { return nil }
            return String(cString: buffer.baseAddress!)
        }
    }

    /// Sends SIGKILL through the pidfd (the pid only when there is no pidfd: a pid may be reused
    /// once its process is reaped, a pidfd never designates another process).
    static func kill(pidfd: Int32, pid: pid_t) {
        if pidfd >= 0 {
            _ = cj_pidfd_send_signal(pidfd, SIGKILL)
        } else if pid > 0 {
            _ = Glibc.kill(pid, SIGKILL)
        }
    }

    /// Reaps `pid`, returning its status and resource usage.
    static func wait(_ pid: pid_t, noHang: Bool = false) throws(JailError) -> (
        status: Int32, userUs: Int64, sysUs: Int64, maxRssKb: Int64
    )? {
        var status: Int32 = 0
        var user: Int64 = 0, sys: Int64 = 0, rss: Int64 = 0
        let r = cj_wait(pid, &status, &user, &sys, &rss, noHang ? 1 : 0)
        if r == 0 { return nil }
        guard r > 0 else { throw .system("wait4", errno: errno) }
        return (status, user, sys, rss)
    }

    /// Monotonic time in nanoseconds.
    public static func monotonicNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// The effective user and group ids of this process.
    static var effectiveIDs: (uid: UInt32, gid: UInt32) { (geteuid(), getegid()) }

    /// What `readlink` says of `path`, or nil when it is not a symbolic link.
    static func readlink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = Glibc.readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `path` exists (following symbolic links).
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Whether `path` is a directory (following symbolic links).
    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Decodes a raw wait status: (exit code, signal).
    static func decode(waitStatus st: Int32) -> (exitCode: Int32?, signal: Int32?) {
        let sig = st & 0x7f
        if sig == 0 { return ((st >> 8) & 0xff, nil) }
        return (nil, sig)
    }
}
#endif
