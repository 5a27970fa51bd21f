#if canImport(Glibc)
import Glibc
#endif

/// The one place system calls are made from Swift: each wrapper names the C call it wraps, retries
/// `EINTR`, and turns `-1/errno` into a ``SystemCallError`` carrying the step and the errno.
///
/// The wrappers live in `SystemCall+Files.swift`, `SystemCall+Directories.swift`,
/// `SystemCall+Processes.swift`, `SystemCall+Mounts.swift` and `SystemCall+Clocks.swift`. Steps are
/// built only when a call fails, so a successful call allocates nothing. A path that holds a NUL byte
/// is refused with `EINVAL` (C would silently truncate it there).
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

    /// Calls `body` with `path` as a C string until it returns something other than -1 with `EINTR`.
    ///
    /// - Parameters:
    ///   - step: What the call does, for the error (evaluated only on failure).
    ///   - path: The path or file name; one with a NUL byte inside fails with `EINVAL` without a call.
    ///   - body: The raw call; -1 means failure with `errno` set.
    /// - Returns: The call's non-negative result.
    /// - Throws: ``SystemCallError`` for any errno but `EINTR`.
    @inlinable
    public static func retrying<P: SystemPath, T: BinaryInteger>(
        _ step: @autoclosure () -> String, path: P, _ body: (UnsafePointer<CChar>) -> T
    ) throws(SystemCallError) -> T {
        let (result, code) = path.withSystemPath { cPath -> (T, Int32) in
            guard let cPath else { return (-1, EINVAL) }
            return rawRetrying { body(cPath) }
        }
        if result == -1 { throw SystemCallError(step(), errno: Errno(rawValue: code)) }
        return result
    }

    /// As ``retrying(_:path:_:)``, for calls that take two paths (`rename`).
    @inlinable
    public static func retrying<P: SystemPath, Q: SystemPath, T: BinaryInteger>(
        _ step: @autoclosure () -> String, paths first: P, _ second: Q,
        _ body: (UnsafePointer<CChar>, UnsafePointer<CChar>) -> T
    ) throws(SystemCallError) -> T {
        let (result, code) = first.withSystemPath { a -> (T, Int32) in
            second.withSystemPath { b -> (T, Int32) in
                guard let a, let b else { return (-1, EINVAL) }
                return rawRetrying { body(a, b) }
            }
        }
        if result == -1 { throw SystemCallError(step(), errno: Errno(rawValue: code)) }
        return result
    }

    /// Calls `body` until it returns something other than -1 with `EINTR`; returns the result and, on
    /// failure, the errno (read at once, before anything else can change it).
    @inlinable
    static func rawRetrying<T: BinaryInteger>(_ body: () -> T) -> (T, Int32) {
        while true {
            let result = body()
            if result != -1 { return (result, 0) }
            let code = errno
            if code != EINTR { return (result, code) }
        }
    }
}
