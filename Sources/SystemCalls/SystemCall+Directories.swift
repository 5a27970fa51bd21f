#if os(Linux)
import Glibc

/// Directories: creating, removing, listing.
extension SystemCall {
    /// One entry of a directory listing.
    public struct DirectoryEntry: Sendable, Hashable {
        /// The name, as raw bytes (a name need not be UTF-8).
        public var name: [UInt8]
        /// The kind `readdir` reported, or nil when the file system does not say (`DT_UNKNOWN`: `stat` it).
        public var kind: FileStatus.Kind?

        /// An entry.
        public init(name: [UInt8], kind: FileStatus.Kind?) {
            self.name = name
            self.kind = kind
        }

        /// The name when it is valid UTF-8.
        public var text: String? { String(validating: name, as: UTF8.self) }
    }

    /// Creates the directory `path` (`mkdir(2)`; the umask applies to `permissions`).
    ///
    /// - Parameters:
    ///   - path: The new directory.
    ///   - permissions: Its mode.
    ///   - existingIsFine: Whether an existing entry of that name (`EEXIST`) is success. It may be
    ///     anything, a link included: open it with `.directoryNoFollow` to be sure.
    ///   - step: The step for the error (`mkdir <path>` when empty).
    /// - Returns: Whether this call created it.
    /// - Throws: ``SystemCallError``.
    @inlinable
    @discardableResult
    public static func makeDirectory<P: SystemPath>(
        _ path: P, permissions: UInt32 = 0o755, existingIsFine: Bool = false, step: @autoclosure () -> String = ""
    ) throws(SystemCallError) -> Bool {
        let (_, code) = path.withSystemPath { cPath -> (Int32, Int32) in
            guard let cPath else { return (-1, EINVAL) }
            return rawRetrying { mkdir(cPath, mode_t(permissions)) }
        }
        if code == 0 { return true }
        if code == EEXIST && existingIsFine { return false }
        throw SystemCallError(describe(step(), "mkdir", path), errno: Errno(rawValue: code))
    }

    /// Creates `name` in `directory` (`mkdirat(2)`; the umask applies to `permissions`).
    ///
    /// - Throws: ``SystemCallError`` with `step` (`mkdir <name>` when empty), `EEXIST` included.
    @inlinable
    public static func makeDirectory<P: SystemPath>(
        at directory: Int32, _ name: P, permissions: UInt32 = 0o755, step: @autoclosure () -> String = ""
    ) throws(SystemCallError) {
        _ = try retrying(describe(step(), "mkdir", name), path: name) { mkdirat(directory, $0, mode_t(permissions)) }
    }

    /// Creates `path` and its missing parents (`mkdir(2)` on each, an existing one being fine): the
    /// whole path first, the parents only when it is missing.
    ///
    /// - Parameters:
    ///   - path: The directory (absolute, or relative to the working directory).
    ///   - permissions: The mode of the last component.
    ///   - parentPermissions: The mode of parents this call creates.
    /// - Throws: ``SystemCallError`` with step `mkdir <the component that failed>`.
    public static func makeDirectories(_ path: String, permissions: UInt32 = 0o755, parentPermissions: UInt32 = 0o755)
        throws(SystemCallError)
    {
        do throws(SystemCallError) {
            try makeDirectory(path, permissions: permissions, existingIsFine: true)
        } catch  where error.errno == .noEntry {
            var end = path.endIndex
            while end > path.startIndex, path[path.index(before: end)] == "/" { end = path.index(before: end) }
            guard let slash = path[..<end].lastIndex(of: "/"), slash > path.startIndex else { throw error }
            try makeDirectories(
                String(path[..<slash]), permissions: parentPermissions, parentPermissions: parentPermissions)
            try makeDirectory(path, permissions: permissions, existingIsFine: true)
        }
    }

    /// Removes the empty directory `path` (`rmdir(2)`).
    ///
    /// - Throws: ``SystemCallError`` with `step` (`rmdir <path>` when empty): `ENOTEMPTY`, `EBUSY`...
    @inlinable
    public static func removeDirectory<P: SystemPath>(_ path: P, step: @autoclosure () -> String = "")
        throws(SystemCallError)
    {
        _ = try retrying(describe(step(), "rmdir", path), path: path) { rmdir($0) }
    }

    /// The entries of the open directory `directory` (`readdir(3)`, over `getdents64`), without `.`
    /// and `..`, in the order the file system gives. `directory` stays open and usable: the listing
    /// reads a duplicate, from the start.
    ///
    /// - Parameters:
    ///   - directory: An open directory.
    ///   - display: How errors name it (`dup <display>`, `opendir <display>`, `readdir <display>`).
    /// - Throws: ``SystemCallError``.
    public static func listDirectory(_ directory: Int32, display: @autoclosure () -> String)
        throws(SystemCallError) -> [DirectoryEntry]
    {
        let copy = try duplicate(directory, step: "dup \(display())")
        return try list(copy, display: display())
    }

    /// The entries of the directory `path` (`open(O_DIRECTORY)`, then `readdir(3)`), without `.`
    /// and `..`, in the order the file system gives.
    ///
    /// - Parameters:
    ///   - path: The directory (a final symbolic link is followed unless `options` has `.noFollow`).
    ///   - options: Extra open options.
    /// - Throws: ``SystemCallError`` with step `opendir <path>` or `readdir <path>`.
    public static func listDirectory<P: SystemPath>(atPath path: P, options: OpenOptions = [])
        throws(SystemCallError) -> [DirectoryEntry]
    {
        let fd = try open(path, options.union(.directory), step: "opendir \(path.systemPathDescription)")
        return try list(fd, display: path.systemPathDescription)
    }

    /// Lists the directory `fd` (taking it over: it is closed when this returns).
    private static func list(_ fd: Int32, display: @autoclosure () -> String) throws(SystemCallError)
        -> [DirectoryEntry]
    {
        guard let stream = fdopendir(fd) else {
            let code = errno
            close(fd)
            throw SystemCallError("opendir \(display())", errno: Errno(rawValue: code))
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var entries: [DirectoryEntry] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                let code = errno
                if code == EINTR { continue }
                if code != 0 { throw SystemCallError("readdir \(display())", errno: Errno(rawValue: code)) }
                return entries
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name == [0x2e] || name == [0x2e, 0x2e] { continue }
            entries.append(DirectoryEntry(name: name, kind: FileStatus.Kind(directoryEntryType: entry.pointee.d_type)))
        }
    }

    /// Creates a fresh directory `<parent>/<prefix>XXXXXX`, mode 0700 (`mkdtemp(3)`).
    ///
    /// - Returns: Its path.
    /// - Throws: ``SystemCallError`` with step `mkdtemp <parent>`.
    public static func makeTemporaryDirectory(in parent: String, prefix: String) throws(SystemCallError) -> String {
        let template = parent + "/" + prefix + "XXXXXX"
        guard !template.utf8.contains(0) else { throw SystemCallError("mkdtemp \(parent)", errno: .invalidArgument) }
        var bytes = Array(template.utf8CString)
        let made = bytes.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard made else { throw SystemCallError.current("mkdtemp \(parent)") }
        return String(decoding: bytes.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
#endif
