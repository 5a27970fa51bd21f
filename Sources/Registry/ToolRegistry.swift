import Foundation
import Logging
import Search
import ToolPackage

/// The registry's search: the store plus two in-memory BM25F indexes over it.
///
/// - The **base** index holds the tools described by index files (potentially millions). It is saved
///   beside the store (`registry.index`) stamped with the store's index generation, loaded at start
///   when the stamps agree (one read, ~0.5 s for a million tools), else rebuilt from the store and
///   saved again. Only an index import makes it stale (and the import rebuilds it before returning).
/// - The **local** overlay holds installed and starter tools, and the index tools the home's yank list
///   touches (their highest version it spares). It is rebuilt at every start in milliseconds and
///   scored with the base's statistics, so the two rank on one scale. An overlay tool hides the base
///   document of the same id (the copy on this machine is the one that runs).
///
/// Pinned tools that match the query come first, in score order; then the best of the rest.
public final class ToolRegistry: Sendable {
    /// How the base index came to be in memory.
    public enum IndexSource: String, Sendable {
        /// Read from its file.
        case loaded
        /// Built from the store (first start, or stale file).
        case rebuilt
    }

    /// The store searched.
    public let store: any RegistryStore
    /// What opening cost: where the base index came from and how long opening took.
    public let opening: (source: IndexSource, seconds: Double)
    private let base: SearchIndex
    private let local: SearchIndex
    /// `local` document → its row.
    private let localRows: [SearchableRow]
    private let localDocuments: [String: UInt32]
    /// Base documents a local tool of the same id replaces.
    private let shadowed: Bitset
    private let yankList: YankList
    /// Overlay entries that are not local tools (index tools the home's yank list touches), by their
    /// negative keys.
    private let overlayEntries: [Int64: RegistryEntry]

    /// The file format and ranking this build writes; part of the base index's stamp.
    static let indexFormat: UInt64 = 3

    /// Opens the search over `store`.
    ///
    /// - Parameters:
    ///   - store: The registry store.
    ///   - indexPath: Where the base index is saved (`<home>/registry.index`); nil keeps it in memory only.
    ///   - yankList: The home's yank list: its versions are hidden like versions their publisher yanked.
    ///   - parameters: The ranking (a saved index built with other parameters is used as it is, so
    ///     pass another only with `indexPath` nil, e.g. to tune).
    ///   - logger: Where a failure to save the index is reported (searching works without the file).
    /// - Throws: ``RegistryError`` when the store cannot be read.
    public init(
        store: any RegistryStore, indexPath: String?, yankList: YankList = YankList(),
        parameters: RankingParameters = .standard, logger: Logger = Logger(label: "omega.registry")
    ) throws(RegistryError) {
        let started = DispatchTime.now().uptimeNanoseconds
        self.store = store
        self.yankList = yankList
        let isYanked = { (id: String, version: SemanticVersion) -> Bool in
            yankList.isYanked(id: id, version: version.description) != nil
        }
        let stamp = Self.stamp(generation: try store.indexGeneration)

        var source = IndexSource.loaded
        var loaded: SearchIndex?
        if let indexPath, let index = try? SearchIndex.load(path: indexPath), index.stamp == stamp {
            loaded = index
        }
        if loaded == nil {
            source = .rebuilt
            var rows: [SearchableRow] = []
            // Built without the home's yank list (its tools go to the overlay below), so a yank never
            // makes the saved index stale.
            try store.searchable(origins: [.index], isYanked: { _, _ in false }) { row in rows.append(row) }
            rows.sort { $0.rowID < $1.rowID }
            var builder = SearchIndexBuilder(parameters: parameters)
            for row in rows { builder.add(Self.document(row)) }
            let index = builder.build(stamp: stamp)
            if let indexPath {
                do {
                    try index.write(to: indexPath)
                } catch {
                    logger.warning("the search index was rebuilt but could not be saved: \(error)")
                }
            }
            loaded = index
        }
        let base = loaded!
        self.base = base

        var rows: [SearchableRow] = []
        try store.searchable(origins: [.installed, .starter], isYanked: isYanked) { row in rows.append(row) }
        // Index tools the home's yank list touches: their base document shadowed, their standing
        // entry (the highest version the list spares, if any) in the overlay under a negative key.
        let localIDs = Set(rows.map(\.id))
        let yankedIDs = Set(yankList.entries.map(\.id)).subtracting(localIDs)
        var overlayEntries: [Int64: RegistryEntry] = [:]
        for (number, id) in yankedIDs.sorted().enumerated() {
            guard let entry = try store.entry(id: id, version: nil, isYanked: isYanked) else { continue }
            let key = -1 - Int64(number)
            overlayEntries[key] = entry
            rows.append(SearchableRow(entry: entry, rowID: key))
        }
        self.overlayEntries = overlayEntries
        rows.sort { $0.id < $1.id }
        var builder = SearchIndexBuilder(parameters: parameters)
        for row in rows { builder.add(Self.document(row)) }
        local = builder.build(stamp: 0, statistics: base.statistics)
        localRows = rows
        var localDocuments: [String: UInt32] = [:]
        for (number, row) in rows.enumerated() { localDocuments[row.id] = UInt32(number) }
        self.localDocuments = localDocuments
        var shadowed = Bitset(count: base.documentCount)
        let replaced = base.documents(named: localIDs.union(yankedIDs))
        for document in replaced.values { shadowed.insert(document) }
        self.shadowed = shadowed
        toolCount = base.documentCount - replaced.count + rows.count
        opening = (source, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
    }

    /// Tools searchable: index tools not replaced by a local copy, plus local tools.
    public let toolCount: Int
    /// Bytes the base index holds in memory (and on disk).
    public var indexBytes: Int { base.byteCount + local.byteCount }
    /// The local (installed and starter) tools, by id.
    public var localTools: [SearchableRow] { localRows }

    /// A stamp for the base index: what it was built from and how.
    static func stamp(generation: Int64) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for value in [indexFormat, UInt64(bitPattern: generation)] { hash = (hash ^ value) &* 0x100_0000_01b3 }
        return hash
    }

    static func document(_ row: SearchableRow) -> SearchDocument {
        SearchDocument(
            key: UInt64(bitPattern: row.rowID), name: row.id, title: row.title ?? "", description: row.description,
            keywords: row.keywords, attributes: row.attributes, scopes: row.scopes)
    }

    /// Searches the registry.
    ///
    /// - Parameters:
    ///   - query: The parsed query.
    ///   - limit: Results wanted (1…``maximumLimit``).
    ///   - filter: Binding, risk and scope filters (its document sets are ignored).
    ///   - localOnly: Only installed and starter tools (the filters on installation, signature and
    ///     credentials concern only them).
    ///   - acceptLocal: Which local tools may be returned (nil: all).
    ///   - pins: Tools listed first when they match the query; a pin with a version shows that version.
    /// - Returns: Hits, pinned first, then by score (ties: the index's order).
    /// - Throws: ``RegistryError`` when the store cannot be read.
    public func search(
        _ query: SearchQuery, limit: Int, filter: SearchFilter = SearchFilter(), localOnly: Bool = false,
        acceptLocal: ((SearchableRow) -> Bool)? = nil, pins: [(id: String, version: SemanticVersion?)] = []
    ) throws(RegistryError) -> [RegistryHit] {
        let limit = max(1, min(limit, Self.maximumLimit))
        var localAllowed: Bitset?
        if let acceptLocal {
            var set = Bitset(count: local.documentCount)
            for (number, row) in localRows.enumerated() where acceptLocal(row) { set.insert(UInt32(number)) }
            localAllowed = set
        }

        // Pinned tools: found by id, scored directly, kept when they match and pass the filters.
        var excluded = shadowed
        var pinnedLocal = Bitset(count: local.documentCount)
        var pinned: [(hit: SearchHit, isLocal: Bool, version: SemanticVersion?)] = []
        let basePins = localOnly ? [:] : base.documents(named: Set(pins.map(\.id)).subtracting(localDocuments.keys))
        for pin in pins {
            if let document = localDocuments[pin.id] {
                pinnedLocal.insert(document)
                guard localAllowed?.contains(document) ?? true,
                    local.passes(document, filter), case let score = local.score(of: document, for: query), score > 0
                else { continue }
                pinned.append((SearchHit(document: document, key: local.key(of: document), score: score), true, pin.version))
            } else if let document = basePins[pin.id], !shadowed.contains(document) {
                excluded.insert(document)
                guard base.passes(document, filter), case let score = base.score(of: document, for: query), score > 0
                else { continue }
                pinned.append((SearchHit(document: document, key: base.key(of: document), score: score), false, pin.version))
            }
        }
        pinned.sort { $0.hit.score > $1.hit.score }
        pinned = Array(pinned.prefix(limit))

        var baseFilter = filter
        baseFilter.excluded = excluded
        var localFilter = filter
        localFilter.excluded = pinnedLocal
        localFilter.allowed = localAllowed
        let rest = limit - pinned.count
        var hits: [(hit: SearchHit, isLocal: Bool)] = []
        if rest > 0 {
            if !localOnly { hits += base.search(query, limit: rest, filter: baseFilter).map { ($0, false) } }
            hits += local.search(query, limit: rest, filter: localFilter).map { ($0, true) }
            // Local tools win ties: the copy here is the one that runs.
            hits.sort { $0.hit.score > $1.hit.score || ($0.hit.score == $1.hit.score && $0.isLocal && !$1.isLocal) }
            hits = Array(hits.prefix(rest))
        }

        let rowIDs = (pinned.map(\.hit.key) + hits.map(\.hit.key)).map { Int64(bitPattern: $0) }
        var entries = try store.entries(rowIDs: rowIDs.filter { $0 >= 0 })
        for key in rowIDs where key < 0 { entries[key] = overlayEntries[key] }
        var result: [RegistryHit] = []
        for item in pinned {
            // The tool's standing entry: what the pin matched and passed the filters as.
            guard let standing = entries[Int64(bitPattern: item.hit.key)] else { continue }
            var entry = standing
            if let version = item.version,
                let chosen = try store.entry(id: standing.id, version: version, isYanked: isYankedByHome),
                // A pinned version yanked since (by its publisher or this home), or one the filters
                // refuse, is never offered: the tool shows at its standing version instead.
                !chosen.isYanked, !isYankedByHome(chosen.id, chosen.version),
                admits(chosen, filter: filter, localOnly: localOnly, acceptLocal: acceptLocal)
            {
                entry = chosen
            }
            result.append(RegistryHit(entry: entry, score: item.hit.score, pinned: true))
        }
        for item in hits {
            if let entry = entries[Int64(bitPattern: item.hit.key)] {
                result.append(RegistryHit(entry: entry, score: item.hit.score, pinned: false))
            }
        }
        return result
    }

    /// Most results one search returns.
    public static let maximumLimit = 100

    /// Whether the home's yank list holds `id` at `version` (by semver precedence: build metadata aside).
    private func isYankedByHome(_ id: String, _ version: SemanticVersion) -> Bool {
        yankList.isYanked(id: id, version: version.description) != nil
    }

    /// Whether `entry` (a pinned version other than the one searched) passes what the search asked.
    private func admits(
        _ entry: RegistryEntry, filter: SearchFilter, localOnly: Bool, acceptLocal: ((SearchableRow) -> Bool)?
    ) -> Bool {
        let row = SearchableRow(entry: entry, rowID: 0)
        guard filter.admits(row.attributes, scopes: entry.scopes) else { return false }
        if localOnly, entry.origin == .index { return false }
        if let acceptLocal, !acceptLocal(row) { return false }
        return true
    }
}
