#if os(Linux)
import Glibc  // free(3) for libseccomp's strings only: every system call goes through SystemCalls
import SystemCalls

/// The seccomp module's vocabulary of system calls, over the `SystemCalls` module: reading profiles,
/// exporting programs and the on-disk cache.
///
/// Failures become a ``SeccompError`` with code ``SeccompError/ioFailed`` carrying the errno and the
/// step (`open /path: No such file or directory`).
enum SeccompIO {
    /// The error for a failed system call: `SECCOMP_IO_FAILED`, `<step>: <strerror text>`, the errno.
    static func failure(_ error: SystemCallError) -> SeccompError {
        SeccompError(
            code: .ioFailed, message: "\(error.step): \(error.errno.message)", errno: error.errno.rawValue)
    }

    /// Runs `body`, turning its ``SystemCallError`` into ``failure(_:)``.
    @inline(__always)
    private static func mapped<T>(_ body: () throws(SystemCallError) -> T) throws(SeccompError) -> T {
        do throws(SystemCallError) { return try body() } catch { throw failure(error) }
    }

    /// The effective user id.
    static var effectiveUID: UInt32 { SystemCall.effectiveUserID }

    /// The process id.
    static var processID: Int32 { SystemCall.processID }

    /// Closes `fd`.
    static func close(_ fd: Int32) { SystemCall.close(fd) }

    /// `fstat(2)`; `step` names the file in errors.
    static func status(_ fd: Int32, step: @autoclosure () -> String) throws(SeccompError) -> FileStatus {
        try mapped { () throws(SystemCallError) in try SystemCall.fileStatus(fd, step: step()) }
    }

    /// Reads until end of file, refusing more than `limit` bytes.
    static func readAll(_ fd: Int32, limit: Int, step: @autoclosure () -> String) throws(SeccompError) -> [UInt8] {
        let bytes = try mapped { () throws(SystemCallError) in try SystemCall.readAll(fd, upTo: limit + 1, step: step())
        }
        if bytes.count > limit {
            throw SeccompError(code: .ioFailed, message: "\(step()): larger than \(limit) bytes")
        }
        return bytes
    }

    /// Reads a whole file of at most `limit` bytes; nil when it does not exist (`ENOENT`, `ENOTDIR`).
    static func readFile(_ path: String, limit: Int) throws(SeccompError) -> [UInt8]? {
        let fd: Int32
        do throws(SystemCallError) {
            fd = try SystemCall.open(path)
        } catch  where error.errno == .noEntry || error.errno == .notDirectory {
            return nil
        } catch {
            throw failure(error)
        }
        defer { close(fd) }
        return try readAll(fd, limit: limit, step: "read \(path)")
    }

    /// Writes all of `bytes`.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], step: @autoclosure () -> String) throws(SeccompError) {
        try mapped { () throws(SystemCallError) in
            try bytes.withUnsafeBytes { buffer in
                Result { () throws(SystemCallError) in try SystemCall.writeAll(fd, buffer, step: step()) }
            }.get()
        }
    }

    /// Moves the offset of `fd` back to its start.
    static func rewind(_ fd: Int32, step: @autoclosure () -> String) throws(SeccompError) {
        try mapped { () throws(SystemCallError) in try SystemCall.seek(fd, to: 0, step: step()) }
    }

    /// Flushes `fd` to the device.
    static func sync(_ fd: Int32, step: @autoclosure () -> String) throws(SeccompError) {
        try mapped { () throws(SystemCallError) in try SystemCall.synchronize(fd, step: step()) }
    }

    /// An empty close-on-exec memory file (what libseccomp exports a program into).
    static func memfdCreate(_ name: String) throws(SeccompError) -> Int32 {
        do throws(SystemCallError) {
            return try SystemCall.memoryFile(named: name)
        } catch {
            throw failure(SystemCallError("memfd_create", errno: error.errno))
        }
    }

    /// Creates `path` and missing parents with mode 0700 (an existing one is fine).
    static func makeDirectories(_ path: String) throws(SeccompError) {
        try mapped { () throws(SystemCallError) in
            try SystemCall.makeDirectories(path, permissions: 0o700, parentPermissions: 0o700)
        }
    }

    /// The directory `path` itself, never through a symlink (`O_DIRECTORY|O_NOFOLLOW`).
    static func openDirectory(_ path: String) throws(SeccompError) -> Int32 {
        try mapped { () throws(SystemCallError) in try SystemCall.open(path, .directoryNoFollow) }
    }

    /// `name` in `directory` for reading, never through a symlink; nil when it does not exist.
    static func openForReading(in directory: Int32, _ name: String) throws(SeccompError) -> Int32? {
        do throws(SystemCallError) {
            return try SystemCall.open(at: directory, name, .noFollow)
        } catch  where error.errno == .noEntry {
            return nil
        } catch {
            throw failure(error)
        }
    }

    /// A new private file (mode 0600) `name` in `directory`, created exclusively, never through a link.
    static func createExclusive(in directory: Int32, _ name: String) throws(SeccompError) -> Int32 {
        try mapped { () throws(SystemCallError) in
            try SystemCall.open(at: directory, name, .createNew, permissions: 0o600, step: "create \(name)")
        }
    }

    /// Atomically replaces `to` by `from`, both in `directory`.
    static func rename(in directory: Int32, _ from: String, to: String) throws(SeccompError) {
        try mapped { () throws(SystemCallError) in try SystemCall.rename(at: directory, from, to: to) }
    }

    /// Removes `name` from `directory`; errors are ignored (used for clean-up only).
    static func unlink(in directory: Int32, _ name: String) {
        try? SystemCall.unlink(at: directory, name)
    }

    /// `free(3)` for strings that libseccomp allocated.
    static func free(_ pointer: UnsafeMutablePointer<CChar>?) {
        Glibc.free(pointer)
    }
}
#endif
