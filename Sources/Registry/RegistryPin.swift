import ToolPackage

/// A tool a user pinned: it comes first in their search results, at ``version`` when one was given.
public struct RegistryPin: Sendable, Hashable {
    /// The tool id.
    public var id: String
    /// The pinned version, or nil to follow the highest version that is not yanked.
    public var version: SemanticVersion?
    /// When the pin was made (ms since the Unix epoch).
    public var pinnedAtMs: Int64

    /// A pin from its fields.
    public init(id: String, version: SemanticVersion?, pinnedAtMs: Int64) {
        self.id = id
        self.version = version
        self.pinnedAtMs = pinnedAtMs
    }
}
