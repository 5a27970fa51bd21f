#if os(Linux)
import Glibc  // signal numbers only: every call goes through SystemCalls
import SystemCalls

/// The supervisor's vocabulary of system calls, over the `SystemCalls` module: which flags the jail
/// uses, which failures are not failures (`EAGAIN` on a non-blocking pipe, a reader that left), and
/// `JailError` (`SANDBOX_FAILURE`, `step: ENAME`) for the rest. No file of the jail calls Glibc for
/// a file, descriptor or process system call (threads, signal numbers and `malloc` aside); the child
/// side of a run is C (`CJail`).
public enum Syscalls {
    /// Runs `body`, turning its ``SystemCallError`` into `JailError.system`.
    @inline(__always)
    static func mapped<T>(_ body: () throws(SystemCallError) -> T) throws(JailError) -> T {
        do throws(SystemCallError) { return try body() } catch { throw .system(error) }
    }

    /// `pipe2(O_CLOEXEC)`; returns (read, write).
    static func pipe() throws(JailError) -> (Int32, Int32) {
        try mapped { () throws(SystemCallError) in try SystemCall.pipe() }
    }

    /// Makes `fd` non-blocking.
    static func setNonBlocking(_ fd: Int32) throws(JailError) {
        try mapped { () throws(SystemCallError) in try SystemCall.setNonBlocking(fd) }
    }

    /// Duplicates `fd` to a descriptor >= 3 (close-on-exec), so it can never collide with 0, 1, 2.
    static func dupHigh(_ fd: Int32, closingOriginal: Bool = false) throws(JailError) -> Int32 {
        if fd >= 3 && closingOriginal { return fd }
        defer { if closingOriginal { SystemCall.close(fd) } }
        return try mapped { () throws(SystemCallError) in try SystemCall.duplicate(fd, atLeast: 3) }
    }

    /// `open(path, O_RDONLY|O_CLOEXEC)`; errors say `<step> <path>`.
    static func openRead(_ path: String, step: String) throws(JailError) -> Int32 {
        try mapped { () throws(SystemCallError) in try SystemCall.open(path, step: "\(step) \(path)") }
    }

    /// `open(path, O_PATH|O_CLOEXEC)`: a handle to execute later with `execveat`; -1 when it cannot be opened.
    static func openPath(_ path: String) -> Int32 {
        (try? SystemCall.open(path, .pathOnly)) ?? -1
    }

    /// A memory file holding `bytes`, at a descriptor >= 3 (the program's stdin, the launch blob).
    static func memoryFile(_ bytes: UnsafeRawBufferPointer, step: String) throws(JailError) -> Int32 {
        let fd = try mapped { () throws(SystemCallError) in
            do throws(SystemCallError) {
                return try SystemCall.memoryFile(named: "omega-stdin", containing: bytes)
            } catch {
                throw SystemCallError("memfd_create \(step)", errno: error.errno)
            }
        }
        return try dupHigh(fd, closingOriginal: true)
    }

    /// Closes `fd` when it is valid.
    static func close(_ fd: Int32) { SystemCall.close(fd) }

    /// Reads what is available; nil on EAGAIN, empty on EOF.
    @inline(__always)
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(JailError) -> Int? {
        try mapped { () throws(SystemCallError) in try SystemCall.readAvailable(fd, into: buffer) }
    }

    /// Writes all of `bytes` (blocking; waiting for room when `fd` is non-blocking), giving up silently
    /// on any other failure: a reader that left (`EPIPE`) is not the run's failure.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            do throws(SystemCallError) {
                offset += try SystemCall.write(fd, UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            } catch  where error.errno == .wouldBlock {
                var descriptors = [SystemCall.PollDescriptor(fd: fd, events: SystemCall.pollWritable, revents: 0)]
                _ = try? SystemCall.poll(&descriptors, timeoutMilliseconds: 100)
            } catch {
                return
            }
        }
    }

    /// `poll` with a timeout in milliseconds (-1: forever); EINTR counts as "nothing happened".
    @inline(__always)
    static func poll(_ fds: inout [SystemCall.PollDescriptor], timeoutMs: Int32) throws(JailError) -> Int {
        try mapped { () throws(SystemCallError) in try SystemCall.poll(&fds, timeoutMilliseconds: timeoutMs) }
    }

    /// Writes a whole small file in one write (identity maps); every failure says `write <path>`.
    static func writeFile(_ path: String, _ text: String) throws(JailError) {
        do throws(SystemCallError) {
            try SystemCall.writeFile(path, text: text)
        } catch {
            throw .system("write \(path)", errno: error.errno.rawValue)
        }
    }

    /// Reads a small file (its first `capacity - 1` bytes); nil when it cannot be read.
    static func readFile(_ path: String, capacity: Int = 4096) -> String? {
        guard let bytes = try? SystemCall.readFile(path, upTo: capacity - 1) else { return nil }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Sends SIGKILL through the pidfd (the pid only when there is no pidfd: a pid may be reused
    /// once its process is reaped, a pidfd never designates another process).
    static func kill(pidfd: Int32, pid: Int32) {
        if pidfd >= 0 {
            SystemCall.sendSignal(SIGKILL, toProcessDescriptor: pidfd)
        } else {
            SystemCall.sendSignal(SIGKILL, toProcess: pid)
        }
    }

    /// Reaps `pid`, returning its status and resource usage (nil with `noHang` while it runs).
    static func wait(_ pid: Int32, noHang: Bool = false) throws(JailError) -> SystemCall.ProcessExit? {
        try mapped { () throws(SystemCallError) in try SystemCall.wait(for: pid, noHang: noHang) }
    }

    /// Monotonic time in nanoseconds.
    public static func monotonicNs() -> UInt64 { SystemCall.monotonicNanoseconds() }

    /// The effective user and group ids of this process.
    static var effectiveIDs: (uid: UInt32, gid: UInt32) { (SystemCall.effectiveUserID, SystemCall.effectiveGroupID) }

    /// What `readlink` says of `path`, or nil when it is not a symbolic link.
    static func readlink(_ path: String) -> String? {
        guard let target = try? SystemCall.readLink(path), !target.isEmpty else { return nil }
        return String(decoding: target, as: UTF8.self)
    }

    /// Whether `path` exists (following symbolic links).
    static func exists(_ path: String) -> Bool { SystemCall.isAccessible(path, .exists) }

    /// Whether `path` is a directory (following symbolic links).
    static func isDirectory(_ path: String) -> Bool { (try? SystemCall.fileStatus(path))?.kind == .directory }

    /// Decodes a raw wait status: (exit code, signal).
    static func decode(waitStatus st: Int32) -> (exitCode: Int32?, signal: Int32?) {
        let sig = st & 0x7f
        if sig == 0 { return ((st >> 8) & 0xff, nil) }
        return (nil, sig)
    }
}
#endif
