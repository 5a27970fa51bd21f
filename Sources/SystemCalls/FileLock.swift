#if os(Linux)
/// An exclusive `flock(2)` on a file (a database's `.lock` beside it), held while a process opens and
/// migrates a store, so processes starting at the same moment on a fresh home do not race to create
/// its schema. Released by ``release()``, on deinitialization, or when the process dies.
public final class FileLock {
    private var fd: Int32

    /// Takes the lock on `path` (created 0600 when missing, never through a symbolic link), waiting
    /// for other holders.
    ///
    /// - Throws: ``SystemCallError`` with step `open <path>` or `flock <path>`.
    public init(path: String) throws(SystemCallError) {
        fd = try SystemCall.open(path, [.readWrite, .create, .noFollow], permissions: 0o600)
        do {
            try SystemCall.lockExclusively(fd, step: "flock \(path)")
        } catch {
            SystemCall.close(fd)
            throw error
        }
    }

    /// The lock a store holds while it opens and migrates the database at `path`: `<path>.lock`,
    /// taken before the database file is created (0600, never through a symbolic link) if missing, so
    /// SQLite gives its `-wal` and `-shm` files the same private mode.
    ///
    /// - Throws: ``SystemCallError`` with step `open <path>` or `flock <path>.lock`.
    public static func openingDatabase(at path: String) throws(SystemCallError) -> FileLock {
        let lock = try FileLock(path: path + ".lock")
        let fd = try SystemCall.open(path, [.writeOnly, .create, .noFollow], permissions: 0o600)
        SystemCall.close(fd)
        return lock
    }

    /// Releases the lock (idempotent).
    public func release() {
        if fd >= 0 { SystemCall.close(fd) }
        fd = -1
    }

    deinit { release() }
}
#endif
