import ToolPackage

/// A reference to a tool as people type it: `id` or `id@version` (`weather.forecast@1.2.0`).
public struct RegistryReference: Sendable, Hashable, CustomStringConvertible {
    /// The tool id (``ToolManifest/isValidID(_:)``).
    public var id: String
    /// The version, or nil for "the highest that is not yanked".
    public var version: SemanticVersion?

    /// A reference from its parts.
    public init(id: String, version: SemanticVersion? = nil) {
        self.id = id
        self.version = version
    }

    /// Parses `id` or `id@version`.
    ///
    /// - Throws: `REGISTRY_INVALID_REFERENCE` saying whether the id or the version is malformed and why.
    public static func parse(_ text: String) throws(RegistryError) -> RegistryReference {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let id = String(parts[0])
        guard ToolManifest.isValidID(id) else {
            let shown = id.isEmpty ? "an empty id" : "\"\(id.prefix(64))\""
            throw RegistryError(
                .invalidReference,
                "\(shown) is not a tool id (expected dotted lowercase names such as weather.forecast, at most 128 bytes)"
            )
        }
        guard parts.count == 2 else { return RegistryReference(id: id) }
        let text = String(parts[1])
        guard let version = SemanticVersion(text) else {
            let why = SemanticVersion.problem(in: text) ?? "invalid"
            throw RegistryError(
                .invalidReference,
                "\(id)@\(text.prefix(64)): \"\(text.prefix(64))\" is not a semantic version such as 1.2.0 (\(why))")
        }
        return RegistryReference(id: id, version: version)
    }

    /// `id` or `id@version`.
    public var description: String { version.map { "\(id)@\($0)" } ?? id }
}
