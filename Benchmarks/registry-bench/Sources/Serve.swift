import Foundation
import Registry
import Search
import Service
import ToolRuntime

/// What the child phase (`registry-bench serve`) measured on a built home, written as JSON for the driver.
struct ServeReport: Codable {
    /// Spawn (parent's clock, just before exec) → `main` of the child.
    var spawnToMainSeconds: Double
    /// `RegistryService.init` (home prepared, store opened).
    var serviceInitSeconds: Double
    /// Spawn → the first search's results in hand.
    var firstAnswerSeconds: Double
    /// The first search alone (it opens the registry: starter sync, index load, local index).
    var firstSearchSeconds: Double
    /// `loaded` or `rebuilt`.
    var indexSource: String
    /// `ToolRegistry.opening.seconds`.
    var openSeconds: Double
    var firstQuery: String
    var firstTop: [String]
    var toolCount: Int
    var indexBytesInMemory: Int
    /// Per-query milliseconds, in query order.
    var service: [Double]
    /// The service again, in the interleaved pass.
    var serviceSecondPass: [Double]
    var engine: [Double]
    var indexOnly: [Double]
    /// The bare index with an empty `excluded` set in its filter (as ToolRegistry searches it).
    var indexExcludedMs: [Double]
    /// `store.entries(rowIDs:)` for the bare index's hits (reading and decoding 10 entries).
    var entriesMs: [Double]
    /// Results per query (service), top 3 ids per query.
    var hitCounts: [Int]
    var top3: [[String]]
    /// `RegistryService.pins()` alone, per call (it runs inside every service search).
    var pinsMs: [Double]
    /// Memory after the service pass (before the extra index copy of the interleaved pass).
    var hwmKiB: Int
    var rssKiB: Int
    /// Memory right after the first answer.
    var rssAfterFirstKiB: Int
    /// The labelled quality queries: our top-10 ids and the latency, in file order (empty when not asked).
    var qualityTop: [[String]]
    var qualityMs: [Double]
}

/// The child phase: opens the service on a built home, answers one query (start-up), then every query.
func serve(arguments: [String: String]) throws {
    let mainAt = monotonicNanos()
    guard let home = arguments["home"], let queriesPath = arguments["queries"], let reportPath = arguments["report"],
        let spawned = arguments["spawned-at"].flatMap(UInt64.init)
    else { throw BenchFailure("serve: --home, --queries, --report and --spawned-at are required") }
    let queries = try readLines(queriesPath)
    guard let first = queries.first else { throw BenchFailure("serve: no queries") }

    // Start-up: the service as a surface opens it, then the first search (which loads the index).
    let initStart = monotonicNanos()
    let service = try RegistryService(configuration: RuntimeConfiguration(home: OmegaHome(root: home)))
    let serviceInit = seconds(since: initStart)
    let firstStart = monotonicNanos()
    let firstResults = try service.search(ToolSearchRequest(query: first, limit: 10))
    let firstAnswerAt = monotonicNanos()
    let afterFirst = memoryKiB()
    let registry = try service.registry()

    // Pass 1 (headline): the service search, as the CLI / MCP / HTTP surfaces call it.
    var serviceMs: [Double] = []
    var hitCounts: [Int] = []
    var top3: [[String]] = []
    serviceMs.reserveCapacity(queries.count)
    for query in queries {
        let t = monotonicNanos()
        let results = try service.search(ToolSearchRequest(query: query, limit: 10))
        serviceMs.append(millis(since: t))
        hitCounts.append(results.count)
        top3.append(results.prefix(3).map(\.entry.id))
    }
    let memory = memoryKiB()

    // Pass 2: where the time goes. Per query, in a rotating order (so the layers share the machine's
    // noise and none always runs warm after another): the bare index (ranking only, a second copy
    // loaded from the file after the memory reading), the 10 entries of its hits read from the store,
    // the engine (ToolRegistry.search), the service again, and the service's pins() alone.
    let index = try SearchIndex.load(path: RegistryService.indexPath(OmegaHome(root: home)))
    // The filter ToolRegistry passes the base index: an `excluded` set (base documents a local tool
    // replaces; here none), which makes every candidate go through the filter check.
    var withExcluded = SearchFilter()
    withExcluded.excluded = Bitset(count: index.documentCount)
    var layers = [[Double]](repeating: [], count: 6)
    for (number, query) in queries.enumerated() {
        for step in 0..<6 {
            let layer = (number + step) % 6
            let t = monotonicNanos()
            switch layer {
            case 0:
                _ = index.search(try SearchQuery(query), limit: 10)
            case 1:
                let keys = index.search(try SearchQuery(query), limit: 10).map { Int64(bitPattern: $0.key) }
                let t1 = monotonicNanos()
                _ = try service.store.entries(rowIDs: keys)
                layers[1].append(millis(since: t1))
                continue
            case 2:
                _ = try registry.search(try SearchQuery(query), limit: 10)
            case 3:
                _ = try service.search(ToolSearchRequest(query: query, limit: 10))
            case 4:
                _ = try service.pins()
            default:
                _ = index.search(try SearchQuery(query), limit: 10, filter: withExcluded)
            }
            layers[layer].append(millis(since: t))
        }
    }

    // The labelled quality set, through the service.
    var qualityTop: [[String]] = []
    var qualityMs: [Double] = []
    if let qualityPath = arguments["quality"] {
        for (query, _) in try readLabelled(qualityPath) {
            let t = monotonicNanos()
            let results = try service.search(ToolSearchRequest(query: query, limit: 10))
            qualityMs.append(millis(since: t))
            qualityTop.append(results.map(\.entry.id))
        }
    }

    let report = ServeReport(
        spawnToMainSeconds: Double(mainAt &- spawned) / 1e9, serviceInitSeconds: serviceInit,
        firstAnswerSeconds: Double(firstAnswerAt &- spawned) / 1e9,
        firstSearchSeconds: Double(firstAnswerAt - firstStart) / 1e9,
        indexSource: registry.opening.source.rawValue, openSeconds: registry.opening.seconds, firstQuery: first,
        firstTop: firstResults.prefix(3).map(\.entry.id), toolCount: registry.toolCount,
        indexBytesInMemory: registry.indexBytes, service: serviceMs, serviceSecondPass: layers[3], engine: layers[2],
        indexOnly: layers[0], indexExcludedMs: layers[5], entriesMs: layers[1], hitCounts: hitCounts, top3: top3, pinsMs: layers[4], hwmKiB: memory.hwm,
        rssKiB: memory.rss, rssAfterFirstKiB: afterFirst.rss, qualityTop: qualityTop, qualityMs: qualityMs)
    try JSONEncoder().encode(report).write(to: URL(fileURLWithPath: reportPath))
}
