import JSON

/// A file a tool left in `/work/out`, as kept with its run.
public struct ArtifactRecord: Sendable, Equatable {
    /// The path relative to `/work/out`.
    public var path: String
    /// Its size in bytes.
    public var bytes: UInt64
    /// Lowercase hex SHA-256 of the kept content.
    public var sha256: String
    /// Whether secret values were redacted out of it.
    public var redacted: Bool

    /// `{"path", "bytes", "sha256", "redacted"}`.
    public var json: JSONValue {
        [
            "path": .string(path), "bytes": .integer(Int64(bytes)), "sha256": .string(sha256),
            "redacted": .bool(redacted),
        ]
    }
}
