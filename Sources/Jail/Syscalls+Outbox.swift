#if os(Linux)
import SystemCalls

/// The outbox's system calls (`JailOutbox`): directory-relative, never following a symbolic link,
/// never blocking on a FIFO, never acquiring a terminal. Each throws a `JailError` naming the step
/// (`open <relative path>`) and the errno.
extension Syscalls {
    /// `mkdir(path, mode)`; with `existingIsFine`, an existing entry is not an error (the caller
    /// opens it with `O_NOFOLLOW|O_DIRECTORY` to be sure it is a directory).
    static func mkdir(_ path: String, mode: UInt32, existingIsFine: Bool = false) throws(JailError) {
        _ = try mapped { () throws(SystemCallError) in
            try SystemCall.makeDirectory(path, permissions: mode, existingIsFine: existingIsFine)
        }
    }

    /// `mkdirat(dir, name, mode)`.
    static func mkdir(at dir: Int32, _ name: [UInt8], mode: UInt32, step: String) throws(JailError) {
        try mapped { () throws(SystemCallError) in
            try SystemCall.makeDirectory(at: dir, name, permissions: mode, step: "mkdir \(step)")
        }
    }

    /// `rmdir(path)`.
    static func rmdir(_ path: String) throws(JailError) {
        try mapped { () throws(SystemCallError) in try SystemCall.removeDirectory(path) }
    }

    /// `open(path, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC)`.
    static func openDirectory(_ path: String) throws(JailError) -> Int32 {
        try mapped { () throws(SystemCallError) in try SystemCall.open(path, .directoryNoFollow) }
    }

    /// `openat(dir, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC)`.
    static func openDirectory(at dir: Int32, _ name: [UInt8], step: String) throws(JailError) -> Int32 {
        try mapped { () throws(SystemCallError) in
            try SystemCall.open(at: dir, name, .directoryNoFollow, step: "open \(step)")
        }
    }

    /// `openat(dir, name, O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_NOCTTY|O_CLOEXEC)`: never follows a link,
    /// never blocks on a FIFO, never acquires a terminal.
    static func openNoFollow(at dir: Int32, _ name: [UInt8], step: String) throws(JailError) -> Int32 {
        try mapped { () throws(SystemCallError) in
            try SystemCall.open(at: dir, name, [.noFollow, .nonBlocking, .noControllingTerminal], step: "open \(step)")
        }
    }

    /// `openat(dir, name, O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode)`: a new file or an error.
    static func createExclusive(at dir: Int32, _ name: [UInt8], mode: UInt32, step: String) throws(JailError)
        -> Int32
    {
        try mapped { () throws(SystemCallError) in
            try SystemCall.open(at: dir, name, .createNew, permissions: mode, step: "create \(step)")
        }
    }

    /// `fstatat(dir, name, AT_SYMLINK_NOFOLLOW)`: what the entry itself is.
    static func statNoFollow(at dir: Int32, _ name: [UInt8], step: String) throws(JailError) -> FileStatus {
        try mapped { () throws(SystemCallError) in try SystemCall.fileStatus(at: dir, name, step: "stat \(step)") }
    }

    /// `fstat(fd)`.
    static func fileStatus(_ fd: Int32, step: String) throws(JailError) -> FileStatus {
        try mapped { () throws(SystemCallError) in try SystemCall.fileStatus(fd, step: "stat \(step)") }
    }

    /// The names in the directory `dir` (without `.` and `..`), as raw bytes, sorted bytewise.
    /// `dir` stays open and usable (the listing reads a duplicate).
    static func listDirectory(_ dir: Int32, step: String) throws(JailError) -> [[UInt8]] {
        try mapped { () throws(SystemCallError) in try SystemCall.listDirectory(dir, display: step) }
            .map(\.name).sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// Reads up to `buffer.count` bytes (blocking); 0 at end of file.
    static func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, step: String) throws(JailError)
        -> Int
    {
        try mapped { () throws(SystemCallError) in try SystemCall.read(fd, into: buffer, step: "read \(step)") }
    }

    /// Writes all of `bytes` (blocking), throwing on any failure (`ENOSPC` included).
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, step: String) throws(JailError) {
        try mapped { () throws(SystemCallError) in try SystemCall.writeAll(fd, bytes, step: "write \(step)") }
    }

    /// `unlinkat(dir, name, flags)` (`AT_REMOVEDIR` for a directory).
    static func unlink(at dir: Int32, _ name: [UInt8], directory: Bool, step: String) throws(JailError) {
        try mapped { () throws(SystemCallError) in
            try SystemCall.unlink(at: dir, name, removingDirectory: directory, step: "unlink \(step)")
        }
    }

    /// `fchmodat(dir, name, mode)` (the entry is known not to be a symbolic link).
    static func chmod(at dir: Int32, _ name: [UInt8], mode: UInt32, step: String) throws(JailError) {
        try mapped { () throws(SystemCallError) in
            try SystemCall.setPermissions(at: dir, name, mode, step: "chmod \(step)")
        }
    }

    /// Mounts a tmpfs (`nosuid,nodev,noexec`) on the directory open as `dir` (through `/proc/self/fd`,
    /// so no path is resolved twice). `step` names the target in errors.
    static func mountTmpfs(onDirectory dir: Int32, options: String, step: String) throws(JailError) {
        try mapped { () throws(SystemCallError) in
            try SystemCall.mount(
                source: "tmpfs", on: "/proc/self/fd/\(dir)", type: "tmpfs", flags: [.noSetID, .noDevices, .noExecute],
                options: options, step: "mount tmpfs \(step)")
        }
    }

    /// `umount2(path, MNT_DETACH|UMOUNT_NOFOLLOW)`.
    static func unmountDetached(_ path: String) throws(JailError) {
        try mapped { () throws(SystemCallError) in try SystemCall.unmountDetached(path) }
    }

    /// The whole content of a (procfs) file, which may exceed one page.
    static func readWholeFile(_ path: String) throws(JailError) -> [UInt8] {
        try mapped { () throws(SystemCallError) in try SystemCall.readFile(path) }
    }
}
#endif
