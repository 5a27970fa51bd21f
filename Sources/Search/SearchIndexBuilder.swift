/// Builds a ``SearchIndex`` from documents added one at a time.
///
/// Each document's fields are tokenized (``SearchTokenizer``; the name with compounds) and its term
/// frequencies per field recorded. ``build(stamp:statistics:)`` then scores every (term, document)
/// pair once with BM25F — the score a query adds when it holds the term — and stores it quantized to
/// 16 bits. Scores fixed at build time are what let a query skip documents: every list knows its
/// highest score and each block of 64 postings its own (docs/DECISIONS.md 36).
///
/// Memory while building: about 12 bytes per (term, document) pair plus the term table.
public struct SearchIndexBuilder {
    /// The ranking parameters the scores are computed with.
    public let parameters: RankingParameters
    private let tokenizer = SearchTokenizer()
    private var terms = TermTable()
    private var postingTerms: [UInt32] = []
    private var postingDocuments: [UInt32] = []
    /// Term frequency per field, 8 bits each (saturating), in ``RankingParameters/Field`` order.
    private var postingFrequencies: [UInt32] = []
    private var keys: [UInt64] = []
    private var attributes: [UInt32] = []
    private var nameHashes: [UInt64] = []
    /// Field lengths in terms, `fields × documents`, document-major.
    private var fieldLengths: [UInt16] = []
    /// Scratch: where a term sits in the current document's list (valid when `seenIn == document`).
    private var scratchSlot: [UInt32] = []
    private var scratchDocument: [UInt32] = []
    private var current: [(term: UInt32, frequencies: UInt32)] = []

    /// Prefix of the attribute terms (scopes): a control byte no tokenized word can contain.
    static let scopePrefix: [UInt8] = Array("\u{1}scope:".utf8)

    /// A builder.
    public init(parameters: RankingParameters = .standard) {
        self.parameters = parameters
    }

    /// Documents added so far.
    public var count: Int { keys.count }

    /// Adds `document`; it becomes document number ``count`` − 1 of the index.
    public mutating func add(_ document: SearchDocument) {
        precondition(keys.count < Int(UInt32.max - 1), "too many documents")
        let number = UInt32(keys.count)
        current.removeAll(keepingCapacity: true)
        var lengths: [UInt16] = [0, 0, 0, 0]
        func add(_ text: String, field: RankingParameters.Field, compounds: Bool) {
            var text = text
            text.withUTF8 { bytes in
                tokenizer.forEachTerm(bytes, compounds: compounds) { term in
                    record(&term, field: field, document: number)
                    lengths[field.rawValue] &+= lengths[field.rawValue] == UInt16.max ? 0 : 1
                }
            }
        }
        add(document.name, field: .name, compounds: true)
        if let lastSegment = document.name.split(separator: ".").last,
            var exact = SearchTokenizer.exactNameTerm(lastSegment)
        {
            record(&exact, field: .name, document: number)
        }
        add(document.title, field: .title, compounds: false)
        for keyword in document.keywords { add(keyword, field: .keywords, compounds: true) }
        add(document.description, field: .description, compounds: false)
        for scope in document.scopes {
            var term = Self.scopePrefix + Array(scope.utf8)
            record(&term, field: nil, document: number)
        }
        for entry in current {
            postingTerms.append(entry.term)
            postingDocuments.append(number)
            postingFrequencies.append(entry.frequencies)
        }
        keys.append(document.key)
        attributes.append(document.attributes.rawValue)
        var name = document.name
        nameHashes.append(name.withUTF8 { TermTable.hash($0) })
        fieldLengths.append(contentsOf: lengths)
    }

    private mutating func record(_ term: inout [UInt8], field: RankingParameters.Field?, document: UInt32) {
        let id = term.withUnsafeBufferPointer { terms.intern($0) }
        let index = Int(id)
        if index >= scratchSlot.count {
            scratchSlot.append(contentsOf: repeatElement(0, count: index + 1 - scratchSlot.count))
            scratchDocument.append(contentsOf: repeatElement(UInt32.max, count: index + 1 - scratchDocument.count))
        }
        if scratchDocument[index] != document {
            scratchDocument[index] = document
            scratchSlot[index] = UInt32(current.count)
            current.append((id, 0))
        }
        guard let field else { return }
        let shift = UInt32(field.rawValue * 8)
        let slot = Int(scratchSlot[index])
        let frequency = (current[slot].frequencies >> shift) & 0xff
        if frequency < 0xff { current[slot].frequencies += 1 << shift }
    }

    /// The statistics of the documents added so far (for an index standing alone).
    private func ownStatistics() -> (count: Int, averages: [Double]) {
        let fields = RankingParameters.Field.allCases.count
        var sums = [Double](repeating: 0, count: fields)
        for index in stride(from: 0, to: fieldLengths.count, by: fields) {
            for field in 0..<fields { sums[field] += Double(fieldLengths[index + field]) }
        }
        let n = max(1, keys.count)
        return (keys.count, sums.map { max($0 / Double(n), 1) })
    }

    /// Builds the index.
    ///
    /// - Parameters:
    ///   - stamp: Recorded in the index (the registry's generation it was built from).
    ///   - statistics: The collection statistics to score with; nil: this builder's own documents.
    ///     An overlay passes its base index's, so both indexes' scores compare (its document
    ///     frequencies and count are added to the base's).
    public func build(stamp: UInt64, statistics: SearchStatistics? = nil) -> SearchIndex {
        let fields = RankingParameters.Field.allCases.count
        let termCount = terms.count
        // Counting sort of the postings by term; within a term they stay in document order.
        var start = [UInt32](repeating: 0, count: termCount + 1)
        for term in postingTerms { start[Int(term) + 1] += 1 }
        for index in 0..<termCount { start[index + 1] += start[index] }
        var blockStart = [UInt32](repeating: 0, count: termCount + 1)
        for term in 0..<termCount {
            let length = Int(start[term + 1] - start[term])
            blockStart[term + 1] = blockStart[term] + UInt32((length + IndexImage.blockSize - 1) / IndexImage.blockSize)
        }

        let own = ownStatistics()
        let documentCount: Int
        let averages: [Double]
        if let statistics {
            documentCount = statistics.documentCount + own.count
            averages = statistics.averageFieldLengths.map { max($0, 1) }
        } else {
            documentCount = own.count
            averages = own.averages
        }
        let k1 = parameters.k1
        // The highest score any pair can reach: idf of a term in one document × (k1 + 1).
        let maximum = StatisticsMath.idf(documentFrequency: 1, documentCount: max(documentCount, 1)) * (k1 + 1)
        let scale = maximum / Double(UInt16.max)

        let counts = IndexImage.Counts(
            documents: keys.count, terms: termCount, termBytes: terms.bytes.count, slots: terms.slots.count,
            postings: postingTerms.count, blocks: Int(blockStart[termCount]))
        let image = IndexImage.allocate(
            counts: counts,
            header: .init(
                stamp: stamp, scoreScale: scale, statisticsDocuments: documentCount, averageFieldLengths: averages))

        for index in 0...termCount {
            image.termOffsets[index] = terms.offsets[index]
            image.postingStart[index] = start[index]
            image.blockStart[index] = blockStart[index]
        }
        terms.bytes.withUnsafeBufferPointer { bytes in
            if let base = bytes.baseAddress { image.termBytes.update(from: base, count: bytes.count) }
        }
        terms.slots.withUnsafeBufferPointer { image.slots.update(from: $0.baseAddress!, count: $0.count) }
        for document in 0..<keys.count {
            image.documentKeys[document] = keys[document]
            image.documentAttributes[document] = attributes[document]
            image.documentNameHashes[document] = nameHashes[document]
        }

        // idf per term: from the statistics given (plus this builder's own frequency), else its own.
        var idf = [Double](repeating: 0, count: termCount)
        for term in 0..<termCount {
            var df = Int(start[term + 1] - start[term])
            if let statistics { df += statistics.documentFrequency(Array(image.term(term))) }
            idf[term] = StatisticsMath.idf(documentFrequency: df, documentCount: max(documentCount, 1))
        }

        // Place and score each posting.
        var next = start
        let weights = parameters.weights
        let b = parameters.lengthNormalization
        for index in 0..<postingTerms.count {
            let term = Int(postingTerms[index])
            let document = Int(postingDocuments[index])
            let position = Int(next[term])
            next[term] += 1
            image.postingDocuments[position] = UInt32(document)
            let frequencies = postingFrequencies[index]
            if frequencies == 0 {  // an attribute term (a scope): present, not scored
                image.postingImpacts[position] = 0
                continue
            }
            var pseudoFrequency = 0.0
            for field in 0..<fields {
                let tf = Double((frequencies >> UInt32(field * 8)) & 0xff)
                guard tf > 0 else { continue }
                let length = Double(fieldLengths[document * fields + field])
                pseudoFrequency += weights[field] * tf / (1 - b[field] + b[field] * length / averages[field])
            }
            let score = idf[term] * pseudoFrequency * (k1 + 1) / (k1 + pseudoFrequency)
            image.postingImpacts[position] = UInt16(max(1, min(Double(UInt16.max), (score / scale).rounded())))
        }

        // Per-term maxima and per-block last documents and maxima.
        for term in 0..<termCount {
            let first = Int(start[term])
            let end = Int(start[term + 1])
            var termMax: UInt16 = 0
            var block = Int(blockStart[term])
            var position = first
            while position < end {
                let blockEnd = min(end, position + IndexImage.blockSize)
                var blockMax: UInt16 = 0
                for p in position..<blockEnd { blockMax = max(blockMax, image.postingImpacts[p]) }
                image.blockMaxImpact[block] = blockMax
                image.blockLastDocument[block] = image.postingDocuments[blockEnd - 1]
                termMax = max(termMax, blockMax)
                block += 1
                position = blockEnd
            }
            image.maxImpact[term] = termMax
        }
        return SearchIndex(image: image)
    }
}
