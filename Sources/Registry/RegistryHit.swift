/// One search result of the registry: the entry shown and how it ranked.
public struct RegistryHit: Sendable {
    /// The entry (for a pin with a version, that version).
    public var entry: RegistryEntry
    /// Its BM25F score for the query.
    public var score: Double
    /// Whether it is listed first because it is pinned.
    public var pinned: Bool

    /// A hit.
    public init(entry: RegistryEntry, score: Double, pinned: Bool) {
        self.entry = entry
        self.score = score
        self.pinned = pinned
    }
}
