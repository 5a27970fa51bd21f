#if canImport(Glibc)
import Glibc
#endif

/// The one place system calls are made from Swift: each wrapper names the C call it wraps, retries
/// `EINTR`, and turns `-1/errno` into a ``SystemCallError`` carrying the step and the errno.
public enum SystemCall {
    /// Calls `body` until it returns something other than -1 with `EINTR`.
    ///
    /// - Parameters:
    ///   - step: What the call does, for the error (evaluated only on failure).
    ///   - body: The raw call; -1 means failure with `errno` set.
    /// - Returns: The call's non-negative result.
    /// - Throws: ``SystemCallError`` for any errno but `EINTR`.
    @inlinable
    public static func retrying<T: BinaryInteger>(_ step: @autoclosure () -> String, _ body: () -> T)
        throws(SystemCallError) -> T
    {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw SystemCallError(step(), errno: Errno(rawValue: code))
        }
    }
}
