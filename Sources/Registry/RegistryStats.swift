/// How much the registry holds (`omega-exec registry stats`).
public struct RegistryStats: Sendable, Hashable {
    /// Distinct tool ids.
    public var tools: Int
    /// Stored entries: one per (id, version, origin).
    public var versions: Int
    /// Stored entries by origin (every origin present, zero when it has none).
    public var byOrigin: [RegistryEntry.Origin: Int]
    /// Stored entries marked yanked by their publisher.
    public var yanked: Int
    /// When the last index import committed (ms since the Unix epoch), nil before the first.
    public var lastImportMs: Int64?
    /// The database file's size in bytes (its write-ahead log not included).
    public var databaseBytes: Int64
    /// The store's ``RegistryStore/generation``.
    public var generation: Int64

    /// Statistics from their values.
    public init(
        tools: Int, versions: Int, byOrigin: [RegistryEntry.Origin: Int], yanked: Int, lastImportMs: Int64?,
        databaseBytes: Int64, generation: Int64
    ) {
        self.tools = tools
        self.versions = versions
        self.byOrigin = byOrigin
        self.yanked = yanked
        self.lastImportMs = lastImportMs
        self.databaseBytes = databaseBytes
        self.generation = generation
    }
}
