#if os(Linux)
import CSystemCalls
import Glibc

/// Processes: pipes, poll, signals, reaping, identity, environment, sleeping.
extension SystemCall {
    /// A `struct pollfd` for ``poll(_:timeoutMilliseconds:)``.
    public typealias PollDescriptor = pollfd

    /// `POLLIN`: readable (or at end of file, or hung up).
    public static let pollReadable = Int16(POLLIN)
    /// `POLLOUT`: writable.
    public static let pollWritable = Int16(POLLOUT)

    /// A pipe (`pipe2(O_CLOEXEC)`, with `O_NONBLOCK` on both ends when asked).
    ///
    /// - Throws: ``SystemCallError`` with step `pipe2` (`EMFILE`, `ENFILE`).
    @inlinable
    public static func pipe(nonBlocking: Bool = false) throws(SystemCallError) -> (read: Int32, write: Int32) {
        var fds: (Int32, Int32) = (-1, -1)
        _ = try withUnsafeMutableBytes(of: &fds) { raw in
            Result { () throws(SystemCallError) -> Int32 in
                try retrying("pipe2") {
                    omega_pipe(raw.baseAddress!.assumingMemoryBound(to: Int32.self), nonBlocking ? 1 : 0)
                }
            }
        }.get()
        return (fds.0, fds.1)
    }

    /// Waits until one of `descriptors` is ready or `timeoutMilliseconds` pass (`poll(2)`; -1 waits
    /// forever). An interrupted wait returns 0, as a timeout does, so the caller recomputes its deadline.
    ///
    /// - Returns: The number of descriptors with events (their `revents` set).
    /// - Throws: ``SystemCallError`` with step `poll`.
    @inlinable
    public static func poll(_ descriptors: inout [PollDescriptor], timeoutMilliseconds: Int32)
        throws(SystemCallError) -> Int
    {
        let n = Glibc.poll(&descriptors, nfds_t(descriptors.count), timeoutMilliseconds)
        if n >= 0 { return Int(n) }
        let code = errno
        if code == EINTR { return 0 }
        throw SystemCallError("poll", errno: Errno(rawValue: code))
    }

    /// Sends `signal` to the process `pid` (`kill(2)`).
    ///
    /// - Returns: Whether it was sent (false: no such process, `ESRCH`, or not ours, `EPERM`).
    @inlinable
    @discardableResult
    public static func sendSignal(_ signal: Int32, toProcess pid: Int32) -> Bool {
        pid > 0 && kill(pid, signal) == 0
    }

    /// Sends `signal` to the process behind `pidfd` (`pidfd_send_signal(2)`): unlike a pid, a pidfd
    /// never designates another process once its own is reaped.
    ///
    /// - Returns: Whether it was sent.
    @inlinable
    @discardableResult
    public static func sendSignal(_ signal: Int32, toProcessDescriptor pidfd: Int32) -> Bool {
        pidfd >= 0 && omega_pidfd_send_signal(pidfd, signal) == 0
    }

    /// Whether a process `pid` exists in our pid namespace (`kill(pid, 0)`; `EPERM` means it does).
    @inlinable
    public static func processExists(_ pid: Int32) -> Bool {
        if pid <= 0 { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// How a reaped process ended and what it used.
    public struct ProcessExit: Sendable, Equatable {
        /// The raw wait status (`WIFEXITED`...).
        public var status: Int32
        /// User CPU time in microseconds.
        public var userMicroseconds: Int64
        /// System CPU time in microseconds.
        public var systemMicroseconds: Int64
        /// The largest resident set size of the process, in KiB.
        public var maxResidentKilobytes: Int64
    }

    /// Reaps the child `pid` (`wait4(2)` with `__WALL`), with its resource usage.
    ///
    /// - Parameters:
    ///   - pid: The child.
    ///   - noHang: Return nil at once when it has not ended yet (`WNOHANG`).
    /// - Returns: How it ended, or nil (only with `noHang`) when it is still running.
    /// - Throws: ``SystemCallError`` with step `wait4` (`ECHILD`: not our child, or already reaped).
    public static func wait(for pid: Int32, noHang: Bool = false) throws(SystemCallError) -> ProcessExit? {
        var status: Int32 = 0
        var usage = rusage()
        let reaped = try retrying("wait4") { wait4(pid, &status, __WALL | (noHang ? WNOHANG : 0), &usage) }
        if reaped == 0 { return nil }
        return ProcessExit(
            status: status,
            userMicroseconds: Int64(usage.ru_utime.tv_sec) * 1_000_000 + Int64(usage.ru_utime.tv_usec),
            systemMicroseconds: Int64(usage.ru_stime.tv_sec) * 1_000_000 + Int64(usage.ru_stime.tv_usec),
            maxResidentKilobytes: Int64(usage.ru_maxrss))
    }

    /// Kills (`SIGKILL` through `pidfd_send_signal(2)`) and reaps (`waitid(P_PIDFD)`) the child behind
    /// `pidfd`: never another process that reused its pid. Returns once it is reaped, or at once when
    /// it already was (or `pidfd` is negative).
    @inlinable
    public static func killAndReap(processDescriptor pidfd: Int32) {
        guard pidfd >= 0 else { return }
        _ = omega_pidfd_send_signal(pidfd, SIGKILL)
        _ = rawRetrying { omega_waitid_pidfd(pidfd) }
    }

    /// Our process id (`getpid(2)`).
    @inlinable
    public static var processID: Int32 { getpid() }

    /// Our effective user id (`geteuid(2)`).
    @inlinable
    public static var effectiveUserID: UInt32 { geteuid() }

    /// Our effective group id (`getegid(2)`).
    @inlinable
    public static var effectiveGroupID: UInt32 { getegid() }

    /// The value of the environment variable `name` (`getenv(3)`), or nil when it is not set.
    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Sleeps `microseconds` (`nanosleep(2)`, resumed with the time left when interrupted).
    public static func sleep(microseconds: Int) {
        var request = timespec(tv_sec: microseconds / 1_000_000, tv_nsec: (microseconds % 1_000_000) * 1000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    /// Registers `hook` to run when the process calls `exit(3)` (`atexit(3)`).
    public static func runAtExit(_ hook: @convention(c) () -> Void) {
        _ = atexit(hook)
    }
}
#endif
