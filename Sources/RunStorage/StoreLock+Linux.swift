#if os(Linux)
import Glibc

/// An exclusive `flock(2)` on a file beside the database, held while a process opens and migrates
/// the store, so processes starting at the same moment on a fresh home do not race to create the
/// schema. Released when the value is closed (or the process dies).
final class StoreLock {
    private var fd: Int32

    /// Takes the lock on `path` (created 0600 when missing), waiting for other holders.
    init(path: String) throws(RunStoreError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw RunStoreError(code: "STORE_FAILURE", message: "open \(path): \(String(cString: strerror(errno)))")
        }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let err = errno
            close(fd)
            throw RunStoreError(code: "STORE_FAILURE", message: "flock \(path): \(String(cString: strerror(err)))")
        }
        self.fd = fd
    }

    /// Releases the lock (idempotent).
    func release() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    deinit { release() }
}
#endif
