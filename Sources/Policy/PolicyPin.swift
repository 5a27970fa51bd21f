/// A tool a policy level pins: searches list it first and, with a version, show that version.
/// Written in a policy file's `pins` array as `"id"` or `"id@version"`.
public struct PolicyPin: Sendable, Hashable, CustomStringConvertible {
    /// The tool's id (dotted lowercase names).
    public var id: String
    /// The pinned version, or nil for the newest.
    public var version: String?

    /// A pin.
    public init(id: String, version: String? = nil) {
        self.id = id
        self.version = version
    }

    /// Parses `id` or `id@version`; nil when the id is not a tool id (`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`,
    /// at most 128 bytes) or the version is empty, longer than 64 bytes or holds characters outside
    /// `[0-9A-Za-z.+-]` (the registry checks it is a semantic version it knows).
    public init?(parsing text: String) {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let id = String(parts[0])
        guard Self.isToolID(id) else { return nil }
        var version: String?
        if parts.count == 2 {
            let value = parts[1]
            guard !value.isEmpty, value.utf8.count <= 64,
                value.utf8.allSatisfy({
                    ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 46 || $0 == 43
                        || $0 == 45
                })
            else { return nil }
            version = String(value)
        }
        self.init(id: id, version: version)
    }

    /// `id` or `id@version`.
    public var description: String { version.map { "\(id)@\($0)" } ?? id }

    private static func isToolID(_ id: String) -> Bool {
        guard id.utf8.count <= 128 else { return false }
        let segments = id.split(separator: ".", omittingEmptySubsequences: false)
        return segments.count >= 2
            && segments.allSatisfy { segment in
                guard let first = segment.utf8.first, first >= 97, first <= 122 else { return false }
                return segment.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
            }
    }
}
