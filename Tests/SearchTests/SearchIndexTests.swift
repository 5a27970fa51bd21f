import Foundation
import TestSupport
import Testing

@testable import Search

@Suite struct SearchIndexTests {
    /// A deterministic generator (tests must not depend on the system's random source).
    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static let vocabulary = (0..<400).map { "w\($0)x" }

    /// A random collection with a skewed (Zipf-like) vocabulary, so some words are in most documents.
    static func collection(size: Int, seed: UInt64) -> [SearchDocument] {
        var random = SplitMix(state: seed)
        func word() -> String {
            let r = random.below(1000)
            return vocabulary[min(vocabulary.count - 1, r * r / 2500)]
        }
        return (0..<size).map { number in
            let description = (0..<(3 + random.below(25))).map { _ in word() }.joined(separator: " ")
            return SearchDocument(
                key: UInt64(number) * 7 + 3, name: "tool.\(word())_\(word())", title: word() + " " + word(),
                description: description, keywords: random.below(3) == 0 ? [word()] : [],
                attributes: DocumentAttributes(
                    binding: random.below(2) == 0 ? .sandboxJob : .mcpRemote, risk: random.below(3) == 0 ? .high : .low),
                scopes: random.below(4) == 0 ? ["read_web"] : [])
        }
    }

    static func build(_ documents: [SearchDocument], stamp: UInt64 = 1) -> SearchIndex {
        var builder = SearchIndexBuilder()
        for document in documents { builder.add(document) }
        return builder.build(stamp: stamp)
    }

    /// Every document scored the slow way: the reference MaxScore must agree with.
    static func exhaustive(_ index: SearchIndex, _ query: SearchQuery, limit: Int, filter: SearchFilter) -> [SearchHit] {
        let compiled = CompiledFilter(filter, index: index)
        var scored: [(UInt32, Double)] = []
        for document in 0..<UInt32(index.documentCount) {
            guard compiled.passes(document, attributes: index.attributes(of: document).rawValue) else { continue }
            let score = index.score(of: document, for: query)
            if score > 0 { scored.append((document, score)) }
        }
        scored.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        return scored.prefix(limit).map { SearchHit(document: $0.0, key: index.key(of: $0.0), score: $0.1) }
    }

    @Test func maxScoreReturnsExactlyTheExhaustiveTopK() throws {
        let index = Self.build(Self.collection(size: 8_000, seed: 42))
        var random = SplitMix(state: 7)
        for _ in 0..<120 {
            let length = 1 + random.below(6)
            let text = (0..<length).map { _ in Self.vocabulary[random.below(random.below(2) == 0 ? 20 : 400)] }
                .joined(separator: " ")
            let query = try SearchQuery(text)
            let slow = Self.exhaustive(index, query, limit: 50, filter: SearchFilter())
            for limit in [1, 10, 50] {
                let fast = index.search(query, limit: limit)
                #expect(fast == Array(slow.prefix(limit)), "query \(text) limit \(limit)")
            }
        }
    }

    @Test func filtersKeepOnlyMatchingDocumentsAndStayExact() throws {
        let index = Self.build(Self.collection(size: 5_000, seed: 3))
        var excluded = Bitset(count: index.documentCount)
        for document in stride(from: 0, to: UInt32(index.documentCount), by: 3) { excluded.insert(document) }
        let filters = [
            SearchFilter(bindings: [.sandboxJob]), SearchFilter(risks: [.high]), SearchFilter(scopes: ["read_web"]),
            SearchFilter(bindings: [.mcpRemote], risks: [.low], scopes: ["read_web"], excluded: excluded),
            SearchFilter(scopes: ["no_such_scope"]),
        ]
        for filter in filters {
            for text in ["w0x w1x", "w3x w50x w7x", "w399x"] {
                let query = try SearchQuery(text)
                let fast = index.search(query, limit: 20, filter: filter)
                #expect(fast == Self.exhaustive(index, query, limit: 20, filter: filter))
                for hit in fast {
                    let attributes = index.attributes(of: hit.document)
                    if let bindings = filter.bindings { #expect(bindings.contains(attributes.binding!)) }
                    if let risks = filter.risks { #expect(risks.contains(attributes.risk!)) }
                    #expect(!(filter.excluded?.contains(hit.document) ?? false))
                }
            }
        }
        #expect(index.search(try SearchQuery("w0x"), limit: 10, filter: SearchFilter(scopes: ["no_such_scope"])).isEmpty)
    }

    @Test func theNameOutranksTheDescriptionAndStemsMatch() throws {
        let index = Self.build([
            SearchDocument(key: 1, name: "misc.tool", description: "can also parse html now and then"),
            SearchDocument(key: 2, name: "html.parser", title: "HTML parser", description: "Parses HTML documents."),
            SearchDocument(key: 3, name: "misc.other", description: "nothing to see here"),
        ])
        let hits = index.search(try SearchQuery("parsing html"), limit: 10)
        #expect(hits.map(\.key) == [2, 1])
        #expect(index.search(try SearchQuery("htmlParser"), limit: 10).first?.key == 2)
        #expect(index.search(try SearchQuery("unknownword"), limit: 10).isEmpty)
    }

    @Test func anIndexRoundTripsThroughItsFileAndAnswersTheSame() throws {
        let directory = try Fixture.directory("search-index")
        let index = Self.build(Self.collection(size: 3_000, seed: 9), stamp: 77)
        let path = directory + "/registry.index"
        try index.write(to: path)
        let loaded = try SearchIndex.load(path: path)
        #expect(loaded.stamp == 77)
        #expect(loaded.documentCount == index.documentCount)
        #expect(loaded.byteCount == index.byteCount)
        for text in ["w0x", "w1x w2x w300x", "w12x w13x"] {
            let query = try SearchQuery(text)
            #expect(loaded.search(query, limit: 10) == index.search(query, limit: 10))
        }
    }

    @Test func aCorruptOrTruncatedIndexFileIsRefusedNotRead() throws {
        let directory = try Fixture.directory("search-corrupt")
        let index = Self.build(Self.collection(size: 2_000, seed: 5))
        let path = directory + "/registry.index"
        try index.write(to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))

        // Truncated.
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: path))
        #expect(throws: SearchError.self) { try SearchIndex.load(path: path) }
        // Not an index at all.
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: SearchError.self) { try SearchIndex.load(path: path) }
        // Flipped bytes in the body: refused, or (if the bytes only changed a score) still safe to query.
        var random = SplitMix(state: 11)
        for _ in 0..<200 {
            var bad = good
            for _ in 0..<8 {
                let offset = 256 + random.below(bad.count - 256)
                bad[offset] ^= UInt8(1 + random.below(255))
            }
            try bad.write(to: URL(fileURLWithPath: path))
            if let loaded = try? SearchIndex.load(path: path) {
                _ = loaded.search(try SearchQuery("w0x w1x w2x w5x"), limit: 10)
            }
        }
        // A missing file.
        #expect(throws: SearchError.self) { try SearchIndex.load(path: directory + "/none.index") }
    }

    @Test func anIndexFileWithANonFiniteScoreScaleOrFieldLengthIsRefused() throws {
        let directory = Fixture.directory("search-header")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/registry.index"
        try Self.build(Self.collection(size: 200, seed: 3)).write(to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        // Header field 9 is the score scale, 11… the average field lengths (see IndexImage).
        for (field, value) in [(9, Double.nan), (9, -1.0), (9, .infinity), (9, 0.0), (11, .nan), (12, -.infinity)] {
            var bad = good
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bad.replaceSubrange((field * 8)..<(field * 8 + 8), with: $0) }
            try bad.write(to: URL(fileURLWithPath: path))
            #expect(throws: SearchError.self, "header field \(field) = \(value)") { try SearchIndex.load(path: path) }
        }
        try good.write(to: URL(fileURLWithPath: path))
        let loaded = try SearchIndex.load(path: path)
        #expect(loaded.search(try SearchQuery("w0x w1x"), limit: 10).allSatisfy { $0.score.isFinite && $0.score > 0 })
    }

    @Test func anOverlayBuiltOnABaseScoresOnTheSameScale() throws {
        let base = Self.build([
            SearchDocument(key: 1, name: "a.common", description: "common words only here"),
            SearchDocument(key: 2, name: "b.common", description: "common words again"),
            SearchDocument(key: 3, name: "c.rare", description: "zebra"),
        ])
        var overlay = SearchIndexBuilder()
        overlay.add(SearchDocument(key: 10, name: "d.rare", description: "zebra"))
        let built = overlay.build(stamp: 0, statistics: base.statistics)
        let query = try SearchQuery("zebra")
        let baseScore = try #require(base.search(query, limit: 1).first).score
        let overlayScore = try #require(built.search(query, limit: 1).first).score
        #expect(abs(baseScore - overlayScore) / baseScore < 0.35)
    }

    @Test func anEmptyIndexAnswersNothing() throws {
        let index = SearchIndexBuilder().build(stamp: 0)
        #expect(index.search(try SearchQuery("anything"), limit: 10).isEmpty)
        let directory = try Fixture.directory("search-empty")
        try index.write(to: directory + "/empty.index")
        #expect(try SearchIndex.load(path: directory + "/empty.index").documentCount == 0)
    }
}

@Suite struct SearchIndexNameTests {
    @Test func documentsAreFoundByTheirExactName() {
        var builder = SearchIndexBuilder()
        for (number, name) in ["web.fetch", "text.stats", "web.fetch_extract"].enumerated() {
            builder.add(SearchDocument(key: UInt64(number), name: name, description: "d"))
        }
        let index = builder.build(stamp: 0)
        #expect(index.documents(named: ["text.stats", "web.fetch", "no.such"]) == ["text.stats": 1, "web.fetch": 0])
    }
}
