#if canImport(Glibc)
import Glibc
#endif

/// Every raw file-system call the package code makes, in one place.
///
/// Each wrapper names the C call it wraps, retries `EINTR`, and turns `-1/errno` into a
/// ``PackageError`` with code `IO_ERROR`, the errno and the step (`open /path`). Nothing here follows a
/// symbolic link where the caller asked not to (`O_NOFOLLOW`, `lstat`, `unlinkat`).
enum PackageFS {
    /// What `lstat` says a path is.
    enum Kind: Sendable, Equatable {
        case regular, directory, symlink, other
    }

    /// The parts of `struct stat` the package code uses.
    struct Info: Sendable {
        var kind: Kind
        var mode: UInt32
        var size: Int64
    }

    static func ioError(_ step: String, path: String, errno code: Int32 = errno) -> PackageError {
        let reason = String(cString: strerror(code))
        return PackageError(.io, "\(step) \(path): \(reason)", path: path, errno: code)
    }

    /// `lstat(2)`; nil when the path does not exist.
    static func lstat(_ path: String) throws(PackageError) -> Info? {
        var st = stat()
        while true {
            if Glibc.lstat(path, &st) == 0 { break }
            if errno == EINTR { continue }
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw ioError("lstat", path: path)
        }
        return info(st)
    }

    /// `stat(2)` (follows links); nil when the path does not exist.
    static func statFollowing(_ path: String) -> Info? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return info(st)
    }

    private static func info(_ st: stat) -> Info {
        let format = st.st_mode & S_IFMT
        let kind: Kind =
            format == S_IFREG ? .regular : format == S_IFDIR ? .directory : format == S_IFLNK ? .symlink : .other
        return Info(kind: kind, mode: UInt32(st.st_mode & 0o7777), size: Int64(st.st_size))
    }

    /// `access(path, X_OK)`.
    static func isExecutable(_ path: String) -> Bool { access(path, X_OK) == 0 }

    /// `opendir`/`readdir`: the names in a directory (without `.` and `..`), sorted.
    static func list(_ path: String) throws(PackageError) -> [String] {
        guard let dir = opendir(path) else { throw ioError("opendir", path: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// `open(2)` with `O_CLOEXEC` added.
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) throws(PackageError) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw ioError("open", path: path)
        }
    }

    /// `openat(2)` with `O_CLOEXEC` added; `display` names the path in errors.
    static func openAt(_ dirfd: Int32, _ name: String, _ flags: Int32, mode: mode_t = 0, display: String)
        throws(PackageError) -> Int32
    {
        while true {
            let fd = Glibc.openat(dirfd, name, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw ioError("openat", path: display)
        }
    }

    /// `mkdirat(2)`; an existing directory is not an error when `existingOK`.
    static func mkdirAt(_ dirfd: Int32, _ name: String, mode: mode_t, display: String) throws(PackageError) {
        if Glibc.mkdirat(dirfd, name, mode) == 0 { return }
        throw ioError("mkdirat", path: display)
    }

    /// `fstatat(2)` without following a final symlink.
    static func lstatAt(_ dirfd: Int32, _ name: String) -> Info? {
        var st = stat()
        guard fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return info(st)
    }

    /// `close(2)`.
    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// `fchmod(2)`.
    static func fchmod(_ fd: Int32, _ mode: mode_t, display: String) throws(PackageError) {
        if Glibc.fchmod(fd, mode) != 0 { throw ioError("fchmod", path: display) }
    }

    /// `write(2)` until every byte is written.
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, display: String) throws(PackageError) {
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError("write", path: display)
            }
            offset += n
        }
    }

    /// `read(2)` in chunks, handing each to `body`.
    static func readChunks(_ path: String, _ body: (UnsafeRawBufferPointer) throws(PackageError) -> Void)
        throws(PackageError)
    {
        let fd = try open(path, O_RDONLY | O_NOFOLLOW)
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress!, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError("read", path: path)
            }
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// The whole file (at most `limit` bytes, else an error).
    static func readFile(_ path: String, limit: Int = 64 << 20) throws(PackageError) -> [UInt8] {
        var bytes: [UInt8] = []
        try readChunks(path) { (chunk) throws(PackageError) in
            bytes.append(contentsOf: chunk)
            if bytes.count > limit {
                throw PackageError(.tooLarge, "\(path) is larger than \(limit) bytes", path: path)
            }
        }
        return bytes
    }

    /// The whole file as UTF-8 text.
    static func readText(_ path: String, limit: Int = 64 << 20) throws(PackageError) -> String {
        String(decoding: try readFile(path, limit: limit), as: UTF8.self)
    }

    /// Creates `path` with `O_CREAT|O_EXCL|O_NOFOLLOW` and `mode` and writes `bytes`; never
    /// overwrites (an existing file is `KEY_EXISTS`-style `EEXIST`, reported as `IO_ERROR` with errno).
    static func createExclusive(_ path: String, _ bytes: [UInt8], mode: mode_t, sync: Bool = true)
        throws(PackageError)
    {
        let fd = try open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode)
        defer { close(fd) }
        try fchmod(fd, mode, display: path)  // the umask does not weaken or widen it
        var failure: PackageError?
        bytes.withUnsafeBytes { buffer in
            do throws(PackageError) { try writeAll(fd, buffer, display: path) } catch { failure = error }
        }
        if let failure { throw failure }
        if sync, fsync(fd) != 0 { throw ioError("fsync", path: path) }
    }

    /// Writes `bytes` to a temporary file beside `path`, then `rename(2)`s it over `path`.
    static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(PackageError) {
        let temp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try createExclusive(temp, bytes, mode: mode)
            try rename(temp, path)
        } catch {
            _ = Glibc.unlink(temp)
            throw error
        }
    }

    /// A file mode.
    typealias Mode = mode_t
    /// `AT_FDCWD`.
    static let currentDirectory: Int32 = AT_FDCWD
    /// Flags for opening a directory without following a link: `O_RDONLY|O_DIRECTORY|O_NOFOLLOW`.
    static let directoryFlags: Int32 = O_RDONLY | O_DIRECTORY | O_NOFOLLOW
    /// Flags for creating a new file, never through a link: `O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW`.
    static let createFileFlags: Int32 = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW

    /// `EEXIST`, for callers that tell "exists" from other failures.
    static let alreadyExists: Int32 = EEXIST

    /// `unlink(2)`, ignoring failure.
    static func unlink(_ path: String) { _ = Glibc.unlink(path) }

    /// `rename(2)`.
    static func rename(_ from: String, _ to: String) throws(PackageError) {
        if Glibc.rename(from, to) != 0 { throw ioError("rename \(from) to", path: to) }
    }

    /// `mkdir(2)` of `path` and any missing parents (with `mode`, default 0755).
    static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(PackageError) {
        if let info = statFollowing(path), info.kind == .directory { return }
        let parent = parentDirectory(path)
        if parent != path, !parent.isEmpty { try makeDirectories(parent, mode: mode) }
        if Glibc.mkdir(path, mode) != 0 && errno != EEXIST { throw ioError("mkdir", path: path) }
    }

    /// `mkdtemp(3)`: a fresh 0700 directory `<parent>/<prefix>XXXXXX`.
    static func makeTemporaryDirectory(in parent: String, prefix: String) throws(PackageError) -> String {
        var template = Array((parent + "/" + prefix + "XXXXXX").utf8CString)
        let ok = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard ok else { throw ioError("mkdtemp", path: parent) }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The system temporary directory (`$TMPDIR`, else `/tmp`).
    static var temporaryDirectory: String {
        if let t = getenv("TMPDIR").map({ String(cString: $0) }), t.hasPrefix("/") { return t }
        return "/tmp"
    }

    /// Removes `path` and everything below it, never following symbolic links; a missing path is fine.
    static func removeTree(_ path: String) {
        guard let info = try? lstat(path) else { return }
        if info.kind == .directory {
            for name in (try? list(path)) ?? [] { removeTree(path + "/" + name) }
            _ = rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// `realpath(3)`; nil when it cannot be resolved.
    static func realPath(_ path: String) -> String? {
        guard let resolved = Glibc.realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `path` without its last component (`/` for a top-level path, `.` for a bare name).
    static func parentDirectory(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of `path`.
    static func baseName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// The current UTC time as ISO 8601 (`2025-01-31T12:00:00Z`), from `gmtime_r`.
    static func nowISO8601() -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ width: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T"
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec))Z"
    }
}
