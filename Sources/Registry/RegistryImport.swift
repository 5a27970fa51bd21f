/// What one write to the registry did: an index import, an upsert or a local sync.
///
/// Every entry offered is counted exactly once in ``added``, ``updated``, ``unchanged`` or ``skipped``.
public struct RegistryImport: Sendable, Hashable {
    /// The most problems kept in ``problems``; ``skipped`` counts them all.
    public static let maximumProblems = 1000

    /// Entries (id, version, origin) that were not in the registry.
    public var added = 0
    /// Entries that replaced a different stored entry of the same id, version and origin.
    public var updated = 0
    /// Entries identical to the stored one (nothing written).
    public var unchanged = 0
    /// Lines that were not entries (malformed, too long): each is also a problem.
    public var skipped = 0
    /// Entries deleted (``RegistryStore/replaceLocal(origin:with:)`` only).
    public var removed = 0
    /// The first ``maximumProblems`` skipped lines, in file order.
    public var problems: [IndexProblem] = []

    /// An empty result.
    public init() {}

    /// Whether anything in the registry changed.
    public var changedAnything: Bool { added + updated + removed > 0 }

    /// Counts a skipped line, keeping its problem while fewer than ``maximumProblems`` are kept.
    mutating func skip(_ problem: IndexProblem) {
        skipped += 1
        if problems.count < Self.maximumProblems { problems.append(problem) }
    }
}
