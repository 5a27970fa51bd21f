import SystemCalls

/// The package code's vocabulary of file-system operations, over the `SystemCalls` module.
///
/// What is the package code's own: which failures mean "absent" (`ENOENT`, `ENOTDIR` for `lstat`),
/// never following a symbolic link where the caller asked not to (`O_NOFOLLOW`, `lstat`, `unlinkat`),
/// the size limits, and ``PackageError`` with code `IO_ERROR`, the errno, the path and the step in
/// words (`open /path: No such file or directory`).
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

        init(_ status: FileStatus) {
            switch status.kind {
            case .regular: kind = .regular
            case .directory: kind = .directory
            case .symbolicLink: kind = .symlink
            default: kind = .other
            }
            mode = status.permissions
            size = status.size
        }
    }

    /// The error for a failed system call on `path`: `IO_ERROR`, `<step>: <strerror text>`.
    static func ioError(_ error: SystemCallError, path: String) -> PackageError {
        PackageError(.io, "\(error.step): \(error.errno.message)", path: path, errno: error.errno.rawValue)
    }

    /// Runs `body`, turning its ``SystemCallError`` into ``ioError(_:path:)`` for `path`.
    @inline(__always)
    private static func mapped<T>(_ path: String, _ body: () throws(SystemCallError) -> T) throws(PackageError) -> T {
        do throws(SystemCallError) { return try body() } catch { throw ioError(error, path: path) }
    }

    /// `lstat(2)`; nil when the path does not exist.
    static func lstat(_ path: String) throws(PackageError) -> Info? {
        do throws(SystemCallError) {
            return Info(try SystemCall.fileStatus(path, followingLinks: false))
        } catch  where error.errno == .noEntry || error.errno == .notDirectory {
            return nil
        } catch {
            throw ioError(error, path: path)
        }
    }

    /// `stat(2)` (follows links); nil when the path does not exist.
    static func statFollowing(_ path: String) -> Info? {
        (try? SystemCall.fileStatus(path)).map(Info.init)
    }

    /// `access(path, X_OK)`.
    static func isExecutable(_ path: String) -> Bool { SystemCall.isAccessible(path, .executable) }

    /// The names in a directory (without `.` and `..`), sorted.
    static func list(_ path: String) throws(PackageError) -> [String] {
        try mapped(path) { () throws(SystemCallError) in try SystemCall.listDirectory(atPath: path) }
            .map { String(decoding: $0.name, as: UTF8.self) }.sorted()
    }

    /// `open(2)` with `O_CLOEXEC` added.
    static func open(_ path: String, _ options: SystemCall.OpenOptions, mode: Mode = 0) throws(PackageError) -> Int32 {
        try mapped(path) { () throws(SystemCallError) in try SystemCall.open(path, options, permissions: mode) }
    }

    /// `openat(2)` with `O_CLOEXEC` added; `display` names the path in errors.
    static func openAt(
        _ dirfd: Int32, _ name: String, _ options: SystemCall.OpenOptions, mode: Mode = 0, display: String
    )
        throws(PackageError) -> Int32
    {
        try mapped(display) { () throws(SystemCallError) in
            try SystemCall.open(at: dirfd, name, options, permissions: mode, step: "openat \(display)")
        }
    }

    /// `mkdirat(2)`; `display` names the path in errors.
    static func mkdirAt(_ dirfd: Int32, _ name: String, mode: Mode, display: String) throws(PackageError) {
        try mapped(display) { () throws(SystemCallError) in
            try SystemCall.makeDirectory(at: dirfd, name, permissions: mode, step: "mkdirat \(display)")
        }
    }

    /// `fstatat(2)` without following a final symlink.
    static func lstatAt(_ dirfd: Int32, _ name: String) -> Info? {
        (try? SystemCall.fileStatus(at: dirfd, name)).map(Info.init)
    }

    /// `close(2)`.
    static func close(_ fd: Int32) { SystemCall.close(fd) }

    /// `fchmod(2)`.
    static func fchmod(_ fd: Int32, _ mode: Mode, display: String) throws(PackageError) {
        try mapped(display) { () throws(SystemCallError) in
            try SystemCall.setPermissions(fd, mode, step: "fchmod \(display)")
        }
    }

    /// `write(2)` until every byte is written.
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, display: String) throws(PackageError) {
        try mapped(display) { () throws(SystemCallError) in
            try SystemCall.writeAll(fd, buffer, step: "write \(display)")
        }
    }

    /// `read(2)` in chunks of 64 KiB, handing each to `body` (never through a final symbolic link).
    static func readChunks(_ path: String, _ body: (UnsafeRawBufferPointer) throws(PackageError) -> Void)
        throws(PackageError)
    {
        let fd = try open(path, .noFollow)
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try mapped(path) { () throws(SystemCallError) in
                try SystemCall.read(fd, into: buffer, step: "read \(path)")
            }
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// The whole file (at most `limit` bytes, else `ARCHIVE_TOO_LARGE`), never through a final symbolic link.
    static func readFile(_ path: String, limit: Int = 64 << 20) throws(PackageError) -> [UInt8] {
        let bytes = try mapped(path) { () throws(SystemCallError) in
            try SystemCall.readFile(path, upTo: limit + 1, options: .noFollow)
        }
        if bytes.count > limit {
            throw PackageError(.tooLarge, "\(path) is larger than \(limit) bytes", path: path)
        }
        return bytes
    }

    /// The whole file as UTF-8 text.
    static func readText(_ path: String, limit: Int = 64 << 20) throws(PackageError) -> String {
        String(decoding: try readFile(path, limit: limit), as: UTF8.self)
    }

    /// Creates `path` with `O_CREAT|O_EXCL|O_NOFOLLOW` and `mode` and writes `bytes`; never
    /// overwrites (an existing file is `KEY_EXISTS`-style `EEXIST`, reported as `IO_ERROR` with errno).
    static func createExclusive(_ path: String, _ bytes: [UInt8], mode: Mode, sync: Bool = true)
        throws(PackageError)
    {
        let fd = try open(path, .createNew, mode: mode)
        defer { close(fd) }
        try fchmod(fd, mode, display: path)  // the umask does not weaken or widen it
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(PackageError) in try writeAll(fd, buffer, display: path) }
        }.get()
        if sync {
            try mapped(path) { () throws(SystemCallError) in try SystemCall.synchronize(fd, step: "fsync \(path)") }
        }
    }

    /// Writes `bytes` to a temporary file beside `path`, then `rename(2)`s it over `path`.
    static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: Mode = 0o644) throws(PackageError) {
        let temp = path + ".tmp-\(SystemCall.processID)-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try createExclusive(temp, bytes, mode: mode)
            try rename(temp, path)
        } catch {
            unlink(temp)
            throw error
        }
    }

    /// A file mode.
    typealias Mode = UInt32
    /// `AT_FDCWD`.
    static let currentDirectory: Int32 = SystemCall.currentDirectory
    /// Options for opening a directory without following a link: `O_RDONLY|O_DIRECTORY|O_NOFOLLOW`.
    static let directoryFlags: SystemCall.OpenOptions = .directoryNoFollow
    /// Options for creating a new file, never through a link: `O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW`.
    static let createFileFlags: SystemCall.OpenOptions = .createNew

    /// `EEXIST`, for callers that tell "exists" from other failures.
    static let alreadyExists: Int32 = Errno.exists.rawValue

    /// `unlink(2)`, ignoring failure.
    static func unlink(_ path: String) { try? SystemCall.unlink(path) }

    /// `rename(2)`.
    static func rename(_ from: String, _ to: String) throws(PackageError) {
        try mapped(to) { () throws(SystemCallError) in try SystemCall.rename(from, to: to) }
    }

    /// `mkdir(2)` of `path` and any missing parents (with `mode`, default 0755).
    static func makeDirectories(_ path: String, mode: Mode = 0o755) throws(PackageError) {
        do throws(SystemCallError) {
            try SystemCall.makeDirectories(path, permissions: mode, parentPermissions: mode)
        } catch {
            // The step is `mkdir <the directory that could not be made>`: that directory is at fault.
            throw ioError(error, path: String(error.step.dropFirst("mkdir ".count)))
        }
    }

    /// `mkdtemp(3)`: a fresh 0700 directory `<parent>/<prefix>XXXXXX`.
    static func makeTemporaryDirectory(in parent: String, prefix: String) throws(PackageError) -> String {
        try mapped(parent) { () throws(SystemCallError) in
            try SystemCall.makeTemporaryDirectory(in: parent, prefix: prefix)
        }
    }

    /// The system temporary directory (`$TMPDIR`, else `/tmp`).
    static var temporaryDirectory: String {
        if let t = SystemCall.environment("TMPDIR"), t.hasPrefix("/") { return t }
        return "/tmp"
    }

    /// Removes `path` and everything below it, never following symbolic links; a missing path is fine.
    static func removeTree(_ path: String) {
        guard let info = try? lstat(path) else { return }
        if info.kind == .directory {
            for name in (try? list(path)) ?? [] { removeTree(path + "/" + name) }
            try? SystemCall.removeDirectory(path)
        } else {
            unlink(path)
        }
    }

    /// `realpath(3)`; nil when it cannot be resolved.
    static func realPath(_ path: String) -> String? { SystemCall.resolvedPath(path) }

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

    /// The current UTC time as ISO 8601 (`2025-01-31T12:00:00Z`).
    static func nowISO8601() -> String { SystemCall.utcTimestamp() }
}
