import Search
import ToolPackage

/// What the in-memory search index needs of one tool: its winning version (the highest that is not
/// yanked, the local copy when several origins hold it), as ``RegistryStore/searchable(origins:isYanked:_:)``
/// streams it.
public struct SearchableRow: Sendable, Hashable {
    /// The stored row; ``RegistryStore/entries(rowIDs:)`` gives the whole entry back. Row ids are never
    /// reused (a deleted row's id stays unused), so a stale id finds nothing rather than another tool.
    public var rowID: Int64
    /// The tool id.
    public var id: String
    /// The version chosen.
    public var version: SemanticVersion
    /// The title, when published.
    public var title: String?
    /// The description.
    public var description: String
    /// The keywords.
    public var keywords: [String]
    /// The binding (`sandbox_job`, …), when published.
    public var binding: String?
    /// The risk level, when published.
    public var riskLevel: ToolManifest.Risk.Level?
    /// The policy scopes.
    public var scopes: [String]
    /// The names of the environment variables the tool requires.
    public var requiredEnvNames: [String]
    /// Where the chosen entry came from.
    public var origin: RegistryEntry.Origin

    /// A row from its fields.
    public init(
        rowID: Int64, id: String, version: SemanticVersion, title: String?, description: String, keywords: [String],
        binding: String?, riskLevel: ToolManifest.Risk.Level?, scopes: [String], requiredEnvNames: [String],
        origin: RegistryEntry.Origin
    ) {
        self.rowID = rowID
        self.id = id
        self.version = version
        self.title = title
        self.description = description
        self.keywords = keywords
        self.binding = binding
        self.riskLevel = riskLevel
        self.scopes = scopes
        self.requiredEnvNames = requiredEnvNames
        self.origin = origin
    }

    /// The row of `entry`, under `rowID`.
    public init(entry: RegistryEntry, rowID: Int64) {
        self.init(
            rowID: rowID, id: entry.id, version: entry.version, title: entry.title, description: entry.description,
            keywords: entry.keywords, binding: entry.binding, riskLevel: entry.risk?.level, scopes: entry.scopes,
            requiredEnvNames: entry.requiredEnvNames, origin: entry.origin)
    }

    /// The attributes a search filters on.
    var attributes: DocumentAttributes {
        DocumentAttributes(
            binding: binding.flatMap(DocumentAttributes.Binding.init(name:)),
            risk: riskLevel.flatMap { DocumentAttributes.Risk(name: $0.rawValue) },
            needsEnvironment: !requiredEnvNames.isEmpty)
    }
}
