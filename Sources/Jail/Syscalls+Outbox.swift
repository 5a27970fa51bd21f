#if os(Linux)
import Glibc

/// The outbox's system calls (`JailOutbox`): directory-relative, never following a symbolic link.
/// Each retries `EINTR` and throws a `JailError` naming the step and the errno.
extension Syscalls {
    /// Retries `call` while it fails with `EINTR`; throws `step: ERRNO` on any other failure.
    private static func retrying<T: BinaryInteger>(_ step: @autoclosure () -> String, _ call: () -> T)
        throws(JailError) -> T
    {
        while true {
            let rc = call()
            if rc >= 0 { return rc }
            if errno != EINTR { throw .system(step(), errno: errno) }
        }
    }

    /// Calls `body` with `name` (raw bytes, which need not be UTF-8) as a C string.
    private static func withCName<T>(_ name: [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
        (name + [0]).withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }

    /// `mkdir(path, mode)`; with `existingIsFine`, an existing entry is not an error (the caller
    /// opens it with `O_NOFOLLOW|O_DIRECTORY` to be sure it is a directory).
    static func mkdir(_ path: String, mode: mode_t, existingIsFine: Bool = false) throws(JailError) {
        while Glibc.mkdir(path, mode) != 0 {
            if errno == EINTR { continue }
            if errno == EEXIST && existingIsFine { return }
            throw .system("mkdir \(path)", errno: errno)
        }
    }

    /// `mkdirat(dir, name, mode)`.
    static func mkdir(at dir: Int32, _ name: [UInt8], mode: mode_t, step: String) throws(JailError) {
        _ = try retrying("mkdir \(step)") { withCName(name) { mkdirat(dir, $0, mode) } }
    }

    /// `rmdir(path)`.
    static func rmdir(_ path: String) throws(JailError) {
        _ = try retrying("rmdir \(path)") { Glibc.rmdir(path) }
    }

    /// `open(path, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC)`.
    static func openDirectory(_ path: String) throws(JailError) -> Int32 {
        try retrying("open \(path)") { open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
    }

    /// `openat(dir, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC)`.
    static func openDirectory(at dir: Int32, _ name: [UInt8], step: String) throws(JailError) -> Int32 {
        try retrying("open \(step)") {
            withCName(name) { openat(dir, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        }
    }

    /// `openat(dir, name, O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_NOCTTY|O_CLOEXEC)`: never follows a link,
    /// never blocks on a FIFO, never acquires a terminal.
    static func openNoFollow(at dir: Int32, _ name: [UInt8], step: String) throws(JailError) -> Int32 {
        try retrying("open \(step)") {
            withCName(name) { openat(dir, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC) }
        }
    }

    /// `openat(dir, name, O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode)`: a new file or an error.
    static func createExclusive(at dir: Int32, _ name: [UInt8], mode: mode_t, step: String) throws(JailError)
        -> Int32
    {
        try retrying("create \(step)") {
            withCName(name) { openat(dir, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode) }
        }
    }

    /// `fstatat(dir, name, AT_SYMLINK_NOFOLLOW)`: what the entry itself is.
    static func statNoFollow(at dir: Int32, _ name: [UInt8], step: String) throws(JailError) -> stat {
        var st = Glibc.stat()
        _ = try retrying("stat \(step)") { withCName(name) { fstatat(dir, $0, &st, AT_SYMLINK_NOFOLLOW) } }
        return st
    }

    /// `fstat(fd)`.
    static func fileStatus(_ fd: Int32, step: String) throws(JailError) -> stat {
        var st = Glibc.stat()
        _ = try retrying("stat \(step)") { fstat(fd, &st) }
        return st
    }

    /// The names in the directory `dir` (without `.` and `..`), as raw bytes, sorted bytewise.
    /// `dir` stays open and usable (the listing reads a duplicate).
    static func listDirectory(_ dir: Int32, step: String) throws(JailError) -> [[UInt8]] {
        let copy = try retrying("dup \(step)") { fcntl(dir, F_DUPFD_CLOEXEC, 3) }
        guard let stream = fdopendir(copy) else {
            let err = errno
            close(copy)
            throw .system("opendir \(step)", errno: err)
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 && errno != EINTR { throw .system("readdir \(step)", errno: errno) }
                if errno == EINTR { continue }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name == [0x2e] || name == [0x2e, 0x2e] { continue }
            names.append(name)
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// Reads up to `buffer.count` bytes (blocking); 0 at end of file.
    static func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, step: String) throws(JailError)
        -> Int
    {
        try retrying("read \(step)") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Writes all of `bytes` (blocking), throwing on any failure (`ENOSPC` included).
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, step: String) throws(JailError) {
        var offset = 0
        while offset < bytes.count {
            offset += try retrying("write \(step)") {
                Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            }
        }
    }

    /// `unlinkat(dir, name, flags)` (`AT_REMOVEDIR` for a directory).
    static func unlink(at dir: Int32, _ name: [UInt8], directory: Bool, step: String) throws(JailError) {
        _ = try retrying("unlink \(step)") { withCName(name) { unlinkat(dir, $0, directory ? AT_REMOVEDIR : 0) } }
    }

    /// `fchmodat(dir, name, mode)` (the entry is known not to be a symbolic link).
    static func chmod(at dir: Int32, _ name: [UInt8], mode: mode_t, step: String) throws(JailError) {
        _ = try retrying("chmod \(step)") { withCName(name) { fchmodat(dir, $0, mode, 0) } }
    }

    /// Mounts a tmpfs on the directory open as `dir` (through `/proc/self/fd`, so no path is
    /// resolved twice). `step` names the target in errors.
    static func mountTmpfs(onDirectory dir: Int32, options: String, flags: UInt, step: String) throws(JailError) {
        _ = try retrying("mount tmpfs \(step)") { mount("tmpfs", "/proc/self/fd/\(dir)", "tmpfs", flags, options) }
    }

    /// `umount2(path, MNT_DETACH|UMOUNT_NOFOLLOW)`.
    static func unmountDetached(_ path: String) throws(JailError) {
        _ = try retrying("umount \(path)") { umount2(path, Int32(MNT_DETACH | UMOUNT_NOFOLLOW)) }
    }

    /// The whole content of a (procfs) file, which may exceed one page.
    static func readWholeFile(_ path: String) throws(JailError) -> [UInt8] {
        let fd = try openRead(path, step: "open")
        defer { close(fd) }
        var bytes: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let n = try readSome(fd, into: chunk, step: path)
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }
}
#endif
