#if os(Linux)
import Glibc

extension Syscalls {
    /// `pipe2(O_CLOEXEC)` with both ends non-blocking, for a `JailCancellation`; nil when the
    /// process is out of descriptors (the token then works by polling).
    static func cancellationPipe() -> (read: Int32, write: Int32)? {
        guard let (read, write) = try? pipe() else { return nil }
        do {
            try setNonBlocking(read)
            try setNonBlocking(write)
            return (read, write)
        } catch {
            close(read)
            close(write)
            return nil
        }
    }

    /// Writes one byte to `fd` (async-signal-safe; retries `EINTR`; a full pipe already wakes its
    /// reader, so `EAGAIN` is success).
    static func wake(_ fd: Int32) {
        guard fd >= 0 else { return }
        var byte: UInt8 = 1
        while Glibc.write(fd, &byte, 1) < 0 && errno == EINTR {}
    }
}
#endif
