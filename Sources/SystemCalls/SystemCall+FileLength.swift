#if os(Linux)
import Glibc

/// The length of an open file and flushing its data: what an append-only file needs to undo an
/// append that failed halfway and to make an append durable before it is acknowledged.
extension SystemCall {
    /// Cuts (or extends with zeros) the open `fd` to exactly `length` bytes (`ftruncate(2)`).
    ///
    /// - Parameters:
    ///   - fd: A descriptor open for writing.
    ///   - length: The new length in bytes (not negative).
    ///   - step: The step for the error (`ftruncate` when empty).
    /// - Throws: ``SystemCallError`` (`EINVAL` for a negative length or a file that cannot be cut).
    @inlinable
    public static func truncate(_ fd: Int32, to length: Int64, step: @autoclosure () -> String = "")
        throws(SystemCallError)
    {
        _ = try retrying(step().isEmpty ? "ftruncate" : step()) { ftruncate(fd, off_t(length)) }
    }

    /// Flushes the data of `fd` (and the metadata needed to read it back, its length included) to
    /// the device (`fdatasync(2)`): cheaper than ``synchronize(_:step:)`` when only the times differ.
    ///
    /// - Throws: ``SystemCallError`` with `step` (`fdatasync` when empty).
    @inlinable
    public static func synchronizeData(_ fd: Int32, step: @autoclosure () -> String = "") throws(SystemCallError) {
        _ = try retrying(step().isEmpty ? "fdatasync" : step()) { fdatasync(fd) }
    }
}
#endif
