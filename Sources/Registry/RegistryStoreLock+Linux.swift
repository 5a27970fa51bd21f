#if os(Linux)
import SystemCalls

/// An exclusive `flock(2)` on a file beside the database, held while a process opens and migrates the
/// store, so processes starting at the same moment on a fresh home do not race to create the schema.
/// Released when the value is released or deinitialized (or the process dies).
final class RegistryStoreLock {
    private var fd: Int32

    /// Takes the lock on `path` (created 0600 when missing, never through a symbolic link), waiting for
    /// other holders.
    ///
    /// - Throws: `REGISTRY_STORE_FAILED` naming the step and the path.
    init(path: String) throws(RegistryError) {
        do throws(SystemCallError) {
            fd = try SystemCall.open(path, [.readWrite, .create, .noFollow], permissions: 0o600)
        } catch {
            throw RegistryError(.storeFailed, "\(error.step): \(error.errno.message)")
        }
        do throws(SystemCallError) {
            try SystemCall.lockExclusively(fd, step: "flock \(path)")
        } catch {
            SystemCall.close(fd)
            throw RegistryError(.storeFailed, "\(error.step): \(error.errno.message)")
        }
    }

    /// Releases the lock (idempotent).
    func release() {
        if fd >= 0 { SystemCall.close(fd) }
        fd = -1
    }

    deinit { release() }
}
#endif
