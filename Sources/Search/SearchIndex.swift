/// An immutable in-memory BM25F index: terms → postings (document, quantized score) with skip blocks.
///
/// Searches are document-at-a-time with MaxScore and block maxima: lists whose best possible
/// contribution cannot lift a document into the current top k stop driving the search and are only
/// probed for documents the others found, and a probe skips whole blocks of 64 postings by their
/// last document. A query of common words ("a simple library for data") therefore scores a small
/// fraction of the documents that hold one of its words. Safe to share between threads.
public final class SearchIndex: Sendable {
    let image: IndexImage

    init(image: IndexImage) { self.image = image }

    /// The registry generation (or any number the caller chose) the index was built from.
    public var stamp: UInt64 { image.header.stamp }
    /// Documents in the index.
    public var documentCount: Int { image.counts.documents }
    /// Distinct terms.
    public var termCount: Int { image.counts.terms }
    /// (term, document) pairs.
    public var postingCount: Int { image.counts.postings }
    /// Bytes of memory the index holds (and of its file).
    public var byteCount: Int { image.memory.count }

    /// The caller's key of `document`.
    public func key(of document: UInt32) -> UInt64 { image.documentKeys[Int(document)] }
    /// The static attributes of `document`.
    public func attributes(of document: UInt32) -> DocumentAttributes {
        DocumentAttributes(rawValue: image.documentAttributes[Int(document)])
    }

    /// The statistics this index scored with, for an overlay built on it.
    public var statistics: SearchStatistics {
        let image = self.image
        return SearchStatistics(
            documentCount: image.header.statisticsDocuments,
            averageFieldLengths: image.header.averageFieldLengths,
            documentFrequency: { term in
                term.withUnsafeBufferPointer { bytes in
                    guard let id = image.find(bytes) else { return 0 }
                    return Int(image.postingStart[id + 1] - image.postingStart[id])
                }
            })
    }

    /// The documents whose name (see ``SearchDocument/name``) is one of `names`, by name (a name held by
    /// several documents gives the first). One pass over the documents' name hashes.
    public func documents(named names: Set<String>) -> [String: UInt32] {
        guard !names.isEmpty else { return [:] }
        var wanted: [UInt64: String] = [:]
        for name in names {
            var name = name
            wanted[name.withUTF8 { TermTable.hash($0) }] = name
        }
        var found: [String: UInt32] = [:]
        let hashes = image.documentNameHashes
        let keys = Array(wanted.keys)
        for document in 0..<documentCount {
            let hash = hashes[document]
            // A few names (pins, local tools): compare directly, cheaper than hashing the hash.
            if keys.count <= 16 ? keys.contains(hash) : wanted[hash] != nil, let name = wanted[hash],
                found[name] == nil
            {
                found[name] = UInt32(document)
            }
        }
        return found
    }

    /// The documents holding `scope` (see ``SearchDocument/scopes``).
    public func documents(withScope scope: String) -> Bitset {
        var set = Bitset(count: documentCount)
        let term = SearchIndexBuilder.scopePrefix + Array(scope.utf8)
        term.withUnsafeBufferPointer { bytes in
            guard let id = image.find(bytes) else { return }
            for position in Int(image.postingStart[id])..<Int(image.postingStart[id + 1]) {
                set.insert(image.postingDocuments[position])
            }
        }
        return set
    }

    /// The best `limit` documents for `query` that pass `filter`, best first (ties: lower document
    /// first). Only documents holding at least one query term are returned.
    public func search(_ query: SearchQuery, limit: Int, filter: SearchFilter = SearchFilter()) -> [SearchHit] {
        guard limit > 0, documentCount > 0 else { return [] }
        let compiled = CompiledFilter(filter, index: self)
        var lists: [PostingList] = []
        for term in query.terms {
            term.withUnsafeBufferPointer { bytes in
                guard let id = image.find(bytes) else { return }
                let list = PostingList(image: image, term: id)
                if list.maxImpact > 0 { lists.append(list) }
            }
        }
        guard !lists.isEmpty else { return [] }
        var top = TopK(capacity: limit)
        MaxScore.run(lists: &lists, image: image, filter: compiled, top: &top)
        return top.sorted().map {
            SearchHit(
                document: $0.document, key: image.documentKeys[Int($0.document)],
                score: Double($0.score) * image.header.scoreScale)
        }
    }

    /// Whether `document` passes `filter`, as a search would test it.
    public func passes(_ document: UInt32, _ filter: SearchFilter) -> Bool {
        guard Int(document) < documentCount else { return false }
        return CompiledFilter(filter, index: self).passes(document, attributes: image.documentAttributes[Int(document)])
    }

    /// The score `document` gets for `query` (0 when it holds none of its terms): what a pinned
    /// document is ranked by without a search.
    public func score(of document: UInt32, for query: SearchQuery) -> Double {
        guard Int(document) < documentCount else { return 0 }
        var total: UInt32 = 0
        for term in query.terms {
            term.withUnsafeBufferPointer { bytes in
                guard let id = image.find(bytes) else { return }
                var list = PostingList(image: image, term: id)
                list.seek(document)
                if list.document == document { total += UInt32(list.impact) }
            }
        }
        return Double(total) * image.header.scoreScale
    }
}
