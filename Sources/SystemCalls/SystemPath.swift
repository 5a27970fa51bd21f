/// A path or file name in the form the kernel takes it: bytes, none of them NUL.
///
/// `String` (UTF-8) and `[UInt8]` (raw bytes, which need not be UTF-8: names a jailed tool made) are
/// paths. A value with a NUL byte inside is refused by every wrapper with `EINVAL` instead of being
/// truncated there, so `"a\0b"` never designates the file `a`.
public protocol SystemPath {
    /// Calls `body` with the path as a NUL-terminated C string, or with nil when it holds a NUL byte.
    func withSystemPath<R>(_ body: (UnsafePointer<CChar>?) -> R) -> R
    /// The path as text for messages (bytes that are not UTF-8 shown as U+FFFD).
    var systemPathDescription: String { get }
}

extension String: SystemPath {
    /// Calls `body` with the string's UTF-8 as a C string (no copy for a native string), or with nil
    /// when it holds a NUL byte.
    @inlinable
    public func withSystemPath<R>(_ body: (UnsafePointer<CChar>?) -> R) -> R {
        if utf8.contains(0) { return body(nil) }
        return withCString { body($0) }
    }

    /// The string itself.
    @inlinable
    public var systemPathDescription: String { self }
}

extension Array: SystemPath where Element == UInt8 {
    /// Calls `body` with a NUL-terminated copy of the bytes (on the stack when short), or with nil
    /// when they hold a NUL byte.
    @inlinable
    public func withSystemPath<R>(_ body: (UnsafePointer<CChar>?) -> R) -> R {
        if contains(0) { return body(nil) }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer in
            withUnsafeBytes { bytes in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bytes)
            }
            buffer[count] = 0
            return body(UnsafePointer(buffer.baseAddress!))
        }
    }

    /// The bytes decoded as UTF-8 (invalid sequences as U+FFFD).
    @inlinable
    public var systemPathDescription: String { String(decoding: self, as: UTF8.self) }
}
