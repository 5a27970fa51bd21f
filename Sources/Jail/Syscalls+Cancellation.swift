#if os(Linux)
import SystemCalls

extension Syscalls {
    /// `pipe2(O_CLOEXEC|O_NONBLOCK)` for a `JailCancellation`; nil when the process is out of
    /// descriptors (the token then works by polling).
    static func cancellationPipe() -> (read: Int32, write: Int32)? {
        try? SystemCall.pipe(nonBlocking: true)
    }

    /// Writes one byte to `fd` (async-signal-safe; retries `EINTR`; a full pipe already wakes its
    /// reader, so `EAGAIN` is success).
    static func wake(_ fd: Int32) {
        SystemCall.writeByteIgnoringErrors(fd)
    }
}
#endif
