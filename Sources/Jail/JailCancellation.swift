#if os(Linux)
import Glibc  // SIGKILL only: the pipe's calls go through Syscalls
import Synchronization

/// A token that stops a running jail from another thread: `cancel()` makes `Jail.run` kill the whole
/// run (the jail's init through its pidfd, so every descendant dies, detached daemons included) and
/// return the verdict `signaled`, signal `SIGKILL`, no exit code, error `cancelled by the caller`.
///
/// The token wraps a non-blocking, close-on-exec pipe the supervisor polls beside the run's other
/// descriptors, so a cancellation is noticed at once. (An eventfd would do the same; Swift's Glibc
/// module does not expose `eventfd(2)`, and every raw call goes through the SystemCalls module.) A token passed to
/// `run` when it is already cancelled makes `run` return that verdict without starting anything.
/// One token may serve several runs: once cancelled, it stays cancelled.
public final class JailCancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    /// The end the supervisor polls (readable once cancelled), or -1 when no pipe could be made.
    let readFD: Int32
    private let writeFD: Int32

    /// Creates a token that is not cancelled. Never fails: when no descriptor is available, the
    /// supervisor checks the token every 50 ms instead of being woken.
    public init() {
        let fds = Syscalls.cancellationPipe()
        readFD = fds?.read ?? -1
        writeFD = fds?.write ?? -1
    }

    deinit {
        Syscalls.close(readFD)
        Syscalls.close(writeFD)
    }

    /// Cancels: the run using this token (if any, now or later) is killed. Idempotent and
    /// thread-safe; it only does an atomic exchange and one `write(2)`, so a signal handler may call it.
    public func cancel() {
        guard !flag.exchange(true, ordering: .sequentiallyConsistent) else { return }
        Syscalls.wake(writeFD)
    }

    /// Whether `cancel()` was called.
    public var isCancelled: Bool { flag.load(ordering: .sequentiallyConsistent) }
}

extension JailCancellation {
    /// The `error` of the verdict of a cancelled run.
    public static let verdictError = "cancelled by the caller"
}

extension JailResult {
    /// The verdict of a run cancelled before it started.
    static func cancelled(wallMs: Double, cgroup: String) -> JailResult {
        JailResult(
            status: .signaled, exitCode: nil, signal: SIGKILL, wallMs: wallMs, error: JailCancellation.verdictError,
            cgroup: cgroup)
    }
}
#endif
