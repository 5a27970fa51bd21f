#if os(Linux)
import Glibc

/// Every system call of the seccomp module: reading profiles, exporting programs and the on-disk cache.
///
/// Each wrapper names the C call it wraps, retries `EINTR` and throws a ``SeccompError`` with code
/// ``SeccompError/ioFailed`` carrying the errno and the step (`open /path`).
enum SeccompIO {
    /// The metadata of an open file, from `fstat(2)`.
    struct FileStatus {
        var mode: UInt32
        var ownerUID: UInt32
        var size: Int
        var isDirectory: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFDIR) }
        var isRegularFile: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFREG) }
        /// Whether group or others may write (mode bits 0o022).
        var isWritableByOthers: Bool { mode & 0o022 != 0 }
    }

    static func failure(_ step: String, _ code: Int32 = Glibc.errno) -> SeccompError {
        SeccompError(
            code: SeccompError.ioFailed, message: "\(step): \(String(cString: strerror(code)))", errno: code)
    }

    /// Runs `body` until it does not fail with `EINTR`; returns its result or throws with `step`.
    @inline(__always)
    static func retrying<T: BinaryInteger>(_ step: @autoclosure () -> String, _ body: () -> T) throws(SeccompError)
        -> T
    {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = Glibc.errno
            if code != EINTR { throw failure(step(), code) }
        }
    }

    /// The effective user id (`geteuid(2)`).
    static var effectiveUID: UInt32 { geteuid() }

    /// The process id (`getpid(2)`).
    static var processID: Int32 { getpid() }

    /// `open(path, O_RDONLY|O_CLOEXEC)`; nil when the file does not exist.
    static func openForReading(_ path: String) throws(SeccompError) -> Int32? {
        while true {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { return fd }
            let code = Glibc.errno
            if code == EINTR { continue }
            if code == ENOENT || code == ENOTDIR { return nil }
            throw failure("open \(path)", code)
        }
    }

    /// `close(2)`; errors are ignored (the descriptor is gone either way on Linux).
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// `fstat(2)`.
    static func status(_ fd: Int32, step: @autoclosure () -> String) throws(SeccompError) -> FileStatus {
        var st = stat()
        _ = try retrying(step(), { fstat(fd, &st) })
        return FileStatus(mode: st.st_mode, ownerUID: st.st_uid, size: Int(st.st_size))
    }

    /// Reads until end of file with `read(2)`, refusing more than `limit` bytes.
    static func readAll(_ fd: Int32, limit: Int, step: @autoclosure () -> String) throws(SeccompError) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = try retrying(
                step(), { chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } })
            if count == 0 { return result }
            result.append(contentsOf: chunk[0..<count])
            if result.count > limit {
                throw SeccompError(code: SeccompError.ioFailed, message: "\(step()): larger than \(limit) bytes")
            }
        }
    }

    /// Reads a whole file; nil when it does not exist.
    static func readFile(_ path: String, limit: Int) throws(SeccompError) -> [UInt8]? {
        guard let fd = try openForReading(path) else { return nil }
        defer { close(fd) }
        return try readAll(fd, limit: limit, step: "read \(path)")
    }

    /// Writes all of `bytes` with `write(2)`.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], step: @autoclosure () -> String) throws(SeccompError) {
        var offset = 0
        while offset < bytes.count {
            let written = try retrying(
                step(), { bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) } })
            offset += written
        }
    }

    /// `lseek(fd, 0, SEEK_SET)`.
    static func rewind(_ fd: Int32, step: @autoclosure () -> String) throws(SeccompError) {
        _ = try retrying(step(), { lseek(fd, 0, SEEK_SET) })
    }

    /// `fsync(2)`.
    static func sync(_ fd: Int32, step: @autoclosure () -> String) throws(SeccompError) {
        _ = try retrying(step(), { fsync(fd) })
    }

    private typealias MemfdCreate = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32

    /// `memfd_create(name, MFD_CLOEXEC)`, looked up with `dlsym` because the Glibc module does not export it.
    static func memfdCreate(_ name: String) throws(SeccompError) -> Int32 {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "memfd_create") else {
            throw SeccompError(code: SeccompError.ioFailed, message: "memfd_create: not provided by the C library")
        }
        let create = unsafeBitCast(symbol, to: MemfdCreate.self)
        let mfdCloexec: UInt32 = 1
        return try retrying("memfd_create", { create(name, mfdCloexec) })
    }

    /// Creates `path` and missing parents with mode 0700 (`mkdir(2)`, `EEXIST` ignored).
    static func makeDirectories(_ path: String) throws(SeccompError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            while mkdir(prefix, 0o700) != 0 {
                let code = Glibc.errno
                if code == EINTR { continue }
                if code == EEXIST { break }
                throw failure("mkdir \(prefix)", code)
            }
        }
    }

    /// `open(path, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC)`: the directory itself, never through a symlink.
    static func openDirectory(_ path: String) throws(SeccompError) -> Int32 {
        try retrying("open \(path)", { open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) })
    }

    /// `openat(dir, name, O_RDONLY|O_NOFOLLOW|O_CLOEXEC)`; nil when the file does not exist.
    static func openForReading(in directory: Int32, _ name: String) throws(SeccompError) -> Int32? {
        while true {
            let fd = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            if fd >= 0 { return fd }
            let code = Glibc.errno
            if code == EINTR { continue }
            if code == ENOENT { return nil }
            throw failure("open \(name)", code)
        }
    }

    /// `openat(dir, name, O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600)`: a new private file.
    static func createExclusive(in directory: Int32, _ name: String) throws(SeccompError) -> Int32 {
        try retrying(
            "create \(name)",
            { openat(directory, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) })
    }

    /// `renameat(dir, from, dir, to)`: atomically replaces `to`.
    static func rename(in directory: Int32, _ from: String, to: String) throws(SeccompError) {
        _ = try retrying("rename \(from) to \(to)", { renameat(directory, from, directory, to) })
    }

    /// `unlinkat(dir, name, 0)`; errors are ignored (used for clean-up only).
    static func unlink(in directory: Int32, _ name: String) {
        _ = unlinkat(directory, name, 0)
    }

    /// `free(3)` for strings that libseccomp allocated.
    static func free(_ pointer: UnsafeMutablePointer<CChar>?) {
        Glibc.free(pointer)
    }
}
#endif
