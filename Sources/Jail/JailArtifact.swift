/// One entry found in a `JailOutbox` when collecting it: a file copied out, or something refused.
public struct JailArtifact: Sendable, Equatable {
    /// What collecting did with the entry.
    public enum Status: Sendable, Equatable {
        /// A regular file, copied (with `bytes` bytes) to the same relative path in the destination.
        case copied
        /// Not copied, and why (`symbolic link`, `fifo`, `socket`, `name is not valid UTF-8`...).
        case refused(String)
        /// Not copied because it would exceed `maxBytes` or `maxFiles`; collecting stopped here, so
        /// the outbox held more than the result lists (the result is truncated).
        case skippedOverLimit
    }

    /// The path relative to the outbox, `/`-separated (`delivery.json`, `sub/x.txt`).
    public var path: String
    /// The size in bytes: copied for `.copied`, found for `.skippedOverLimit`, 0 for `.refused`.
    public var bytes: UInt64
    /// What collecting did.
    public var status: Status

    /// Creates an artifact record.
    public init(path: String, bytes: UInt64, status: Status) {
        self.path = path
        self.bytes = bytes
        self.status = status
    }
}
