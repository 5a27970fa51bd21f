#if os(Linux)
import CSystemCalls
import Glibc

/// Files and descriptors: open, read, write, stat, rename, unlink, permissions, memory files, locks.
///
/// Every wrapper that takes a `step` builds its error from it (only on failure); an empty `step`
/// means the default, the C call's name and the path (`open /etc/passwd`).
extension SystemCall {
    /// How ``open(_:_:permissions:step:)`` opens a file. `O_CLOEXEC` is always added; `[]` reads.
    public struct OpenOptions: OptionSet, Sendable, Hashable {
        /// The `O_*` bits.
        public let rawValue: Int32
        /// Options from `O_*` bits.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// `O_WRONLY`
        public static let writeOnly = OpenOptions(rawValue: O_WRONLY)
        /// `O_RDWR`
        public static let readWrite = OpenOptions(rawValue: O_RDWR)
        /// `O_CREAT`: create the file when missing, with the given permissions (less the umask).
        public static let create = OpenOptions(rawValue: O_CREAT)
        /// `O_EXCL`: with `create`, fail with `EEXIST` when the name exists (a link included).
        public static let exclusive = OpenOptions(rawValue: O_EXCL)
        /// `O_TRUNC`
        public static let truncate = OpenOptions(rawValue: O_TRUNC)
        /// `O_APPEND`
        public static let append = OpenOptions(rawValue: O_APPEND)
        /// `O_NOFOLLOW`: fail with `ELOOP` when the last component is a symbolic link.
        public static let noFollow = OpenOptions(rawValue: O_NOFOLLOW)
        /// `O_DIRECTORY`: fail with `ENOTDIR` unless it is a directory.
        public static let directory = OpenOptions(rawValue: O_DIRECTORY)
        /// `O_NONBLOCK`: never block (on a FIFO, on a device).
        public static let nonBlocking = OpenOptions(rawValue: O_NONBLOCK)
        /// `O_NOCTTY`: never acquire a controlling terminal.
        public static let noControllingTerminal = OpenOptions(rawValue: O_NOCTTY)
        /// `O_PATH`: a descriptor that only names the file (for `execveat`, `fstat`).
        public static let pathOnly = OpenOptions(rawValue: omega_o_path)

        /// `O_CREAT|O_EXCL|O_NOFOLLOW` for writing: a new file, never through a link, never an old one.
        public static let createNew: OpenOptions = [.writeOnly, .create, .exclusive, .noFollow]
        /// `O_DIRECTORY|O_NOFOLLOW`: the directory itself, never through a symbolic link.
        public static let directoryNoFollow: OpenOptions = [.directory, .noFollow]
    }

    /// The step for an error: `step` itself, or `verb path` when `step` is empty.
    @inlinable
    static func describe(_ step: String, _ verb: String, _ path: some SystemPath) -> String {
        step.isEmpty ? "\(verb) \(path.systemPathDescription)" : step
    }

    // MARK: Opening and closing

    /// Opens `path` with `open(2)` (`O_CLOEXEC` added).
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - options: The `O_*` options; `[]` opens for reading.
    ///   - permissions: The mode of a file `options` creates (the umask applies).
    ///   - step: The step for the error (`open <path>` when empty).
    /// - Returns: The new descriptor (close-on-exec).
    /// - Throws: ``SystemCallError``, e.g. `ENOENT`, `ELOOP` (a link with `.noFollow`), `EEXIST`.
    @inlinable
    public static func open<P: SystemPath>(
        _ path: P, _ options: OpenOptions = [], permissions: UInt32 = 0, step: @autoclosure () -> String = ""
    ) throws(SystemCallError) -> Int32 {
        try retrying(describe(step(), "open", path), path: path) {
            Glibc.open($0, options.rawValue | O_CLOEXEC, mode_t(permissions))
        }
    }

    /// Opens `name` relative to the directory `directory` with `openat(2)` (`O_CLOEXEC` added).
    ///
    /// - Parameters:
    ///   - directory: An open directory, or ``currentDirectory``.
    ///   - name: The name (or relative path) below it.
    ///   - options: The `O_*` options; `[]` opens for reading.
    ///   - permissions: The mode of a file `options` creates (the umask applies).
    ///   - step: The step for the error (`open <name>` when empty).
    /// - Returns: The new descriptor (close-on-exec).
    /// - Throws: ``SystemCallError``.
    @inlinable
    public static func open<P: SystemPath>(
        at directory: Int32, _ name: P, _ options: OpenOptions = [], permissions: UInt32 = 0,
        step: @autoclosure () -> String = ""
    ) throws(SystemCallError) -> Int32 {
        try retrying(describe(step(), "open", name), path: name) {
            Glibc.openat(directory, $0, options.rawValue | O_CLOEXEC, mode_t(permissions))
        }
    }

    /// `AT_FDCWD`: the directory argument of the `*at` wrappers that means the working directory.
    public static let currentDirectory: Int32 = AT_FDCWD

    /// Closes `fd` with `close(2)`; a negative `fd` is ignored. Never retried (Linux releases the
    /// descriptor even when the call is interrupted) and never fails (the descriptor is gone either way).
    @inlinable
    public static func close(_ fd: Int32) {
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    /// Duplicates `fd` to the lowest free descriptor >= `minimum` (`fcntl(F_DUPFD_CLOEXEC)`).
    ///
    /// - Parameters:
    ///   - fd: The descriptor to copy.
    ///   - minimum: The lowest descriptor the copy may get (3 keeps it clear of 0, 1 and 2).
    ///   - step: The step for the error (`fcntl F_DUPFD_CLOEXEC` when empty).
    /// - Returns: The copy (close-on-exec).
    /// - Throws: ``SystemCallError`` (`EMFILE`, `EBADF`).
    @inlinable
    public static func duplicate(_ fd: Int32, atLeast minimum: Int32 = 3, step: @autoclosure () -> String = "")
        throws(SystemCallError) -> Int32
    {
        try retrying(step().isEmpty ? "fcntl F_DUPFD_CLOEXEC" : step()) { fcntl(fd, F_DUPFD_CLOEXEC, minimum) }
    }

    /// Makes `fd` non-blocking (`fcntl(F_GETFL)`, then `fcntl(F_SETFL, flags | O_NONBLOCK)`).
    ///
    /// - Throws: ``SystemCallError`` with step `fcntl O_NONBLOCK`.
    @inlinable
    public static func setNonBlocking(_ fd: Int32) throws(SystemCallError) {
        let flags = try retrying("fcntl O_NONBLOCK") { fcntl(fd, F_GETFL) }
        _ = try retrying("fcntl O_NONBLOCK") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    // MARK: Reading

    /// Reads up to `buffer.count` bytes from `fd` with `read(2)`, waiting when the descriptor blocks.
    ///
    /// - Parameters:
    ///   - fd: The descriptor.
    ///   - buffer: Where the bytes go.
    ///   - step: The step for the error (`read` when empty).
    /// - Returns: The number of bytes read; 0 at end of file.
    /// - Throws: ``SystemCallError`` (`EAGAIN` on a non-blocking descriptor with nothing to read).
    @inlinable
    public static func read(
        _ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, step: @autoclosure () -> String = ""
    )
        throws(SystemCallError) -> Int
    {
        try retrying(step().isEmpty ? "read" : step()) { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Reads what a non-blocking `fd` has with `read(2)`.
    ///
    /// - Parameters:
    ///   - fd: A non-blocking descriptor.
    ///   - buffer: Where the bytes go.
    ///   - step: The step for the error (`read` when empty).
    /// - Returns: The number of bytes read, 0 at end of file, nil when nothing is available (`EAGAIN`).
    /// - Throws: ``SystemCallError`` for any other failure.
    @inlinable
    public static func readAvailable(
        _ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, step: @autoclosure () -> String = ""
    ) throws(SystemCallError) -> Int? {
        let (n, code) = rawRetrying { Glibc.read(fd, buffer.baseAddress, buffer.count) }
        if n >= 0 { return n }
        if code == EAGAIN { return nil }
        throw SystemCallError(step().isEmpty ? "read" : step(), errno: Errno(rawValue: code))
    }

    /// Reads `fd` with `read(2)` until end of file or until `maximum` bytes are read, whichever
    /// comes first. Pass `limit + 1` to tell a file over `limit` from one exactly at it.
    ///
    /// - Parameters:
    ///   - fd: The descriptor (blocking).
    ///   - maximum: The most bytes returned.
    ///   - step: The step for the error (`read` when empty).
    /// - Returns: The bytes read.
    /// - Throws: ``SystemCallError``.
    public static func readAll(_ fd: Int32, upTo maximum: Int = .max, step: @autoclosure () -> String = "")
        throws(SystemCallError) -> [UInt8]
    {
        var bytes: [UInt8] = []
        let chunk = max(1, min(maximum, 65_536))
        let (failed, code) = withUnsafeTemporaryAllocation(byteCount: chunk, alignment: 16) { buffer -> (Bool, Int32) in
            while bytes.count < maximum {
                let want = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(chunk, maximum - bytes.count)])
                let (n, code) = rawRetrying { Glibc.read(fd, want.baseAddress, want.count) }
                if n < 0 { return (true, code) }
                if n == 0 { break }
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: want[0..<n]))
            }
            return (false, 0)
        }
        if failed { throw SystemCallError(step().isEmpty ? "read" : step(), errno: Errno(rawValue: code)) }
        return bytes
    }

    /// Reads the file at `path` (`open(2)`, ``readAll(_:upTo:step:)``, `close(2)`).
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - maximum: The most bytes returned (pass `limit + 1` to detect a file over `limit`).
    ///   - options: Extra open options (`.noFollow`, `.nonBlocking`).
    /// - Returns: The bytes read.
    /// - Throws: ``SystemCallError`` with step `open <path>` or `read <path>`.
    public static func readFile<P: SystemPath>(_ path: P, upTo maximum: Int = .max, options: OpenOptions = [])
        throws(SystemCallError) -> [UInt8]
    {
        let fd = try open(path, options)
        defer { close(fd) }
        return try readAll(fd, upTo: maximum, step: "read \(path.systemPathDescription)")
    }

    /// Moves the file offset of `fd` to `offset` from the start (`lseek(SEEK_SET)`).
    ///
    /// - Throws: ``SystemCallError`` with `step` (`lseek` when empty).
    @inlinable
    public static func seek(_ fd: Int32, to offset: Int64 = 0, step: @autoclosure () -> String = "")
        throws(SystemCallError)
    {
        _ = try retrying(step().isEmpty ? "lseek" : step()) { lseek(fd, off_t(offset), SEEK_SET) }
    }

    // MARK: Writing

    /// Writes up to `bytes.count` bytes of `bytes` to `fd` with one `write(2)`.
    ///
    /// - Returns: The number of bytes written.
    /// - Throws: ``SystemCallError`` with `step` (`write` when empty), e.g. `EAGAIN`, `EPIPE`, `ENOSPC`.
    @inlinable
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, step: @autoclosure () -> String = "")
        throws(SystemCallError) -> Int
    {
        try retrying(step().isEmpty ? "write" : step()) { Glibc.write(fd, bytes.baseAddress, bytes.count) }
    }

    /// Writes all of `bytes` to `fd` with `write(2)`, as many calls as it takes (blocking).
    ///
    /// - Throws: ``SystemCallError`` with `step` (`write` when empty) on the first failure (`ENOSPC`...).
    @inlinable
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, step: @autoclosure () -> String = "")
        throws(SystemCallError)
    {
        var offset = 0
        while offset < bytes.count {
            offset += try retrying(step().isEmpty ? "write" : step()) {
                Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            }
        }
    }

    /// Writes one byte to `fd` with `write(2)`, retrying `EINTR` and ignoring every failure.
    ///
    /// Async-signal-safe: it allocates nothing and takes no lock, so a signal handler may call it
    /// (to wake a poll loop through a non-blocking pipe, where a full pipe, `EAGAIN`, already wakes it).
    @inlinable
    public static func writeByteIgnoringErrors(_ fd: Int32, _ byte: UInt8 = 1) {
        guard fd >= 0 else { return }
        var value = byte
        while Glibc.write(fd, &value, 1) < 0 && errno == EINTR {}
    }

    /// Writes `bytes` to the existing file `path` in one `write(2)` (`open(O_WRONLY)`, `write`,
    /// `close`), as `/proc` and cgroup files want: one value per write. A short write is `EIO`.
    ///
    /// - Throws: ``SystemCallError`` with step `open <path>` or `write <path>`.
    @inlinable
    public static func writeFile<P: SystemPath>(_ path: P, _ bytes: UnsafeRawBufferPointer) throws(SystemCallError) {
        let fd = try open(path, .writeOnly)
        defer { close(fd) }
        try writeOnce(fd, bytes, step: "write \(path.systemPathDescription)")
    }

    /// Writes `text` (UTF-8) to the existing file `path` in one `write(2)`, as ``writeFile(_:_:)``
    /// does with bytes.
    ///
    /// - Throws: ``SystemCallError`` with step `open <path>` or `write <path>`.
    @inlinable
    public static func writeFile<P: SystemPath>(_ path: P, text: String) throws(SystemCallError) {
        let fd = try open(path, .writeOnly)
        defer { close(fd) }
        try writeOnce(fd, text: text, step: "write \(path.systemPathDescription)")
    }

    /// Writes all of `bytes` to `fd` in one `write(2)`; a short write is `EIO` (cgroup and `/proc`
    /// files take one value per write).
    ///
    /// - Throws: ``SystemCallError`` with `step` (`write` when empty).
    @inlinable
    public static func writeOnce(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, step: @autoclosure () -> String = "")
        throws(SystemCallError)
    {
        let (written, code) = rawRetrying { Glibc.write(fd, bytes.baseAddress, bytes.count) }
        if written == bytes.count { return }
        throw SystemCallError(step().isEmpty ? "write" : step(), errno: Errno(rawValue: written < 0 ? code : EIO))
    }

    /// Writes `text` (UTF-8) to `fd` in one `write(2)`, as ``writeOnce(_:_:step:)`` does with bytes.
    @inlinable
    public static func writeOnce(_ fd: Int32, text: String, step: @autoclosure () -> String = "")
        throws(SystemCallError)
    {
        var text = text
        let (written, code, count) = text.withUTF8 { bytes -> (Int, Int32, Int) in
            let (n, code) = rawRetrying { Glibc.write(fd, bytes.baseAddress, bytes.count) }
            return (n, code, bytes.count)
        }
        if written == count { return }
        throw SystemCallError(step().isEmpty ? "write" : step(), errno: Errno(rawValue: written < 0 ? code : EIO))
    }

    /// Flushes `fd` to the device (`fsync(2)`).
    ///
    /// - Throws: ``SystemCallError`` with `step` (`fsync` when empty).
    @inlinable
    public static func synchronize(_ fd: Int32, step: @autoclosure () -> String = "") throws(SystemCallError) {
        _ = try retrying(step().isEmpty ? "fsync" : step()) { fsync(fd) }
    }

    // MARK: Status and permissions

    /// What `fstat(2)` says of the open `fd`.
    ///
    /// - Throws: ``SystemCallError`` with `step` (`fstat` when empty).
    @inlinable
    public static func fileStatus(_ fd: Int32, step: @autoclosure () -> String = "") throws(SystemCallError)
        -> FileStatus
    {
        var st = stat()
        _ = try retrying(step().isEmpty ? "fstat" : step()) { fstat(fd, &st) }
        return FileStatus(st)
    }

    /// What `stat(2)` (or, not following a final symbolic link, `lstat(2)`) says of `path`.
    ///
    /// - Throws: ``SystemCallError`` with `step` (`stat <path>` or `lstat <path>` when empty).
    @inlinable
    public static func fileStatus<P: SystemPath>(
        _ path: P, followingLinks: Bool = true, step: @autoclosure () -> String = ""
    ) throws(SystemCallError) -> FileStatus {
        var st = stat()
        _ = try retrying(describe(step(), followingLinks ? "stat" : "lstat", path), path: path) {
            followingLinks ? stat($0, &st) : lstat($0, &st)
        }
        return FileStatus(st)
    }

    /// What `fstatat(2)` says of `name` in the directory `directory` (by default the entry itself:
    /// `AT_SYMLINK_NOFOLLOW`).
    ///
    /// - Throws: ``SystemCallError`` with `step` (`stat <name>` when empty).
    @inlinable
    public static func fileStatus<P: SystemPath>(
        at directory: Int32, _ name: P, followingLinks: Bool = false, step: @autoclosure () -> String = ""
    ) throws(SystemCallError) -> FileStatus {
        var st = stat()
        _ = try retrying(describe(step(), "stat", name), path: name) {
            fstatat(directory, $0, &st, followingLinks ? 0 : AT_SYMLINK_NOFOLLOW)
        }
        return FileStatus(st)
    }

    /// What `access(2)` checks (with the real uid and gid, as delegation is checked).
    public enum Access: Sendable {
        /// `F_OK`: the path exists (following links).
        case exists
        /// `R_OK`
        case readable
        /// `W_OK`
        case writable
        /// `X_OK`
        case executable
    }

    /// Whether `access(2)` grants `access` on `path` (false on any failure, a NUL byte included).
    @inlinable
    public static func isAccessible<P: SystemPath>(_ path: P, _ access: Access) -> Bool {
        let mode: Int32
        switch access {
        case .exists: mode = F_OK
        case .readable: mode = R_OK
        case .writable: mode = W_OK
        case .executable: mode = X_OK
        }
        return path.withSystemPath { cPath in cPath.map { Glibc.access($0, mode) == 0 } ?? false }
    }

    /// Sets the permission bits of the open `fd` (`fchmod(2)`; the umask does not apply).
    ///
    /// - Throws: ``SystemCallError`` with `step` (`fchmod` when empty).
    @inlinable
    public static func setPermissions(_ fd: Int32, _ permissions: UInt32, step: @autoclosure () -> String = "")
        throws(SystemCallError)
    {
        _ = try retrying(step().isEmpty ? "fchmod" : step()) { fchmod(fd, mode_t(permissions)) }
    }

    /// Sets the permission bits of `name` in `directory` (`fchmodat(2)`, which follows a final link:
    /// call it on entries known not to be links).
    ///
    /// - Throws: ``SystemCallError`` with `step` (`chmod <name>` when empty).
    @inlinable
    public static func setPermissions<P: SystemPath>(
        at directory: Int32, _ name: P, _ permissions: UInt32, step: @autoclosure () -> String = ""
    ) throws(SystemCallError) {
        _ = try retrying(describe(step(), "chmod", name), path: name) {
            fchmodat(directory, $0, mode_t(permissions), 0)
        }
    }

    // MARK: Names

    /// Renames `from` to `to` (`rename(2)`), atomically replacing `to`.
    ///
    /// - Throws: ``SystemCallError`` with `step` (`rename <from> to <to>` when empty).
    @inlinable
    public static func rename<P: SystemPath, Q: SystemPath>(
        _ from: P, to: Q, step: @autoclosure () -> String = ""
    ) throws(SystemCallError) {
        _ = try retrying(
            step().isEmpty ? "rename \(from.systemPathDescription) to \(to.systemPathDescription)" : step(),
            paths: from, to
        ) { Glibc.rename($0, $1) }
    }

    /// Renames `from` to `to`, both in `directory` (`renameat(2)`), atomically replacing `to`.
    ///
    /// - Throws: ``SystemCallError`` with `step` (`rename <from> to <to>` when empty).
    @inlinable
    public static func rename<P: SystemPath, Q: SystemPath>(
        at directory: Int32, _ from: P, to: Q, step: @autoclosure () -> String = ""
    ) throws(SystemCallError) {
        _ = try retrying(
            step().isEmpty ? "rename \(from.systemPathDescription) to \(to.systemPathDescription)" : step(),
            paths: from, to
        ) { renameat(directory, $0, directory, $1) }
    }

    /// Removes the name `path` (`unlink(2)`; never a directory).
    ///
    /// - Throws: ``SystemCallError`` with `step` (`unlink <path>` when empty).
    @inlinable
    public static func unlink<P: SystemPath>(_ path: P, step: @autoclosure () -> String = "") throws(SystemCallError) {
        _ = try retrying(describe(step(), "unlink", path), path: path) { Glibc.unlink($0) }
    }

    /// Removes `name` from `directory` (`unlinkat(2)`; `AT_REMOVEDIR` for an empty directory).
    ///
    /// - Throws: ``SystemCallError`` with `step` (`unlink <name>` when empty).
    @inlinable
    public static func unlink<P: SystemPath>(
        at directory: Int32, _ name: P, removingDirectory: Bool = false, step: @autoclosure () -> String = ""
    ) throws(SystemCallError) {
        _ = try retrying(describe(step(), "unlink", name), path: name) {
            unlinkat(directory, $0, removingDirectory ? AT_REMOVEDIR : 0)
        }
    }

    /// The target of the symbolic link `path` (`readlink(2)`; at most 4095 bytes).
    ///
    /// - Throws: ``SystemCallError`` with step `readlink <path>` (`EINVAL`: not a link).
    public static func readLink<P: SystemPath>(_ path: P) throws(SystemCallError) -> [UInt8] {
        var target = [UInt8](repeating: 0, count: 4096)
        let n = try target.withUnsafeMutableBufferPointer { buffer in
            Result { () throws(SystemCallError) -> Int in
                try retrying("readlink \(path.systemPathDescription)", path: path) {
                    Glibc.readlink(
                        $0, UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self), 4095)
                }
            }
        }.get()
        target.removeSubrange(n...)
        return target
    }

    /// `path` with every symbolic link, `.` and `..` resolved (`realpath(3)`), or nil when it cannot be.
    public static func resolvedPath<P: SystemPath>(_ path: P) -> String? {
        path.withSystemPath { cPath -> String? in
            guard let cPath, let resolved = realpath(cPath, nil) else { return nil }
            defer { free(resolved) }
            return String(cString: resolved)
        }
    }

    // MARK: Memory files and locks

    /// An anonymous close-on-exec memory file (`memfd_create(name, MFD_CLOEXEC)`), empty.
    ///
    /// - Throws: ``SystemCallError`` with step `memfd_create <name>`.
    @inlinable
    public static func memoryFile(named name: String) throws(SystemCallError) -> Int32 {
        try retrying("memfd_create \(name)", path: name) { omega_memfd_create($0) }
    }

    /// A memory file (``memoryFile(named:)``) holding `bytes`, positioned at its start.
    ///
    /// - Throws: ``SystemCallError`` with step `memfd_create <name>`, `write <name>` or `lseek <name>`.
    @inlinable
    public static func memoryFile(named name: String, containing bytes: UnsafeRawBufferPointer)
        throws(SystemCallError) -> Int32
    {
        let fd = try memoryFile(named: name)
        do throws(SystemCallError) {
            try writeAll(fd, bytes, step: "write \(name)")
            try seek(fd, step: "lseek \(name)")
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Takes an exclusive `flock(2)` on `fd`, waiting for other holders (released when every
    /// descriptor of the open file is closed, or the process dies).
    ///
    /// - Throws: ``SystemCallError`` with `step` (`flock` when empty).
    @inlinable
    public static func lockExclusively(_ fd: Int32, step: @autoclosure () -> String = "") throws(SystemCallError) {
        _ = try retrying(step().isEmpty ? "flock" : step()) { flock(fd, LOCK_EX) }
    }
}
#endif
