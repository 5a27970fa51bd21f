/// The index as one block of memory, laid out exactly as its file (so loading is one read and a
/// check, with nothing rebuilt). Sections, each 8-byte aligned, after a 256-byte header of UInt64s:
///
/// | section | type × count |
/// |---|---|
/// | term offsets | UInt32 × (terms + 1), into the term bytes |
/// | term bytes | UInt8 × termBytes |
/// | hash slots | UInt32 × slots (0 empty, else term + 1; FNV-1a, linear probing) |
/// | posting start | UInt32 × (terms + 1) |
/// | block start | UInt32 × (terms + 1) |
/// | term max impact | UInt16 × terms |
/// | posting documents | UInt32 × postings (ascending within a term) |
/// | posting impacts | UInt16 × postings (quantized BM25F score of the term in the document) |
/// | block last document | UInt32 × blocks (blocks of ``blockSize`` postings) |
/// | block max impact | UInt16 × blocks |
/// | document keys | UInt64 × documents |
/// | document attributes | UInt32 × documents |
/// | document name hashes | UInt64 × documents (FNV-1a of the name: finds a tool's document by id) |
final class IndexImage: @unchecked Sendable {
    /// Postings per skip block.
    static let blockSize = 64
    /// `OMSRCH01`.
    static let magic: UInt64 = 0x3130_4843_5253_4d4f
    /// The layout's version; another is refused (and the index rebuilt).
    static let formatVersion: UInt64 = 3
    /// Header size in bytes.
    static let headerBytes = 256

    /// The counts that fix the layout.
    struct Counts: Equatable {
        var documents: Int
        var terms: Int
        var termBytes: Int
        var slots: Int
        var postings: Int
        var blocks: Int
    }

    /// Header fields beyond the counts.
    struct Header {
        var stamp: UInt64
        /// Score of one impact unit.
        var scoreScale: Double
        /// Documents the statistics counted (for an overlay: the base's plus its own).
        var statisticsDocuments: Int
        /// Average field lengths.
        var averageFieldLengths: [Double]
    }

    let memory: UnsafeMutableRawBufferPointer
    let counts: Counts
    let header: Header

    let termOffsets: UnsafeMutablePointer<UInt32>
    let termBytes: UnsafeMutablePointer<UInt8>
    let slots: UnsafeMutablePointer<UInt32>
    let postingStart: UnsafeMutablePointer<UInt32>
    let blockStart: UnsafeMutablePointer<UInt32>
    let maxImpact: UnsafeMutablePointer<UInt16>
    let postingDocuments: UnsafeMutablePointer<UInt32>
    let postingImpacts: UnsafeMutablePointer<UInt16>
    let blockLastDocument: UnsafeMutablePointer<UInt32>
    let blockMaxImpact: UnsafeMutablePointer<UInt16>
    let documentKeys: UnsafeMutablePointer<UInt64>
    let documentAttributes: UnsafeMutablePointer<UInt32>
    let documentNameHashes: UnsafeMutablePointer<UInt64>

    /// The byte size of an image with `counts`.
    static func size(of counts: Counts) -> Int {
        sectionOffsets(counts).last!
    }

    /// Where each section starts, then the total size.
    private static func sectionOffsets(_ c: Counts) -> [Int] {
        let sizes = [
            4 * (c.terms + 1), c.termBytes, 4 * c.slots, 4 * (c.terms + 1), 4 * (c.terms + 1), 2 * c.terms,
            4 * c.postings, 2 * c.postings, 4 * c.blocks, 2 * c.blocks, 8 * c.documents, 4 * c.documents,
            8 * c.documents,
        ]
        var offsets: [Int] = []
        var offset = headerBytes
        for size in sizes {
            offsets.append(offset)
            offset += (size + 7) & ~7
        }
        offsets.append(offset)
        return offsets
    }

    /// Takes ownership of `memory` (8-byte aligned, ``size(of:)`` bytes), whose header is written.
    init(memory: UnsafeMutableRawBufferPointer, counts: Counts, header: Header) {
        self.memory = memory
        self.counts = counts
        self.header = header
        let o = Self.sectionOffsets(counts)
        let base = memory.baseAddress!
        termOffsets = (base + o[0]).assumingMemoryBound(to: UInt32.self)
        termBytes = (base + o[1]).assumingMemoryBound(to: UInt8.self)
        slots = (base + o[2]).assumingMemoryBound(to: UInt32.self)
        postingStart = (base + o[3]).assumingMemoryBound(to: UInt32.self)
        blockStart = (base + o[4]).assumingMemoryBound(to: UInt32.self)
        maxImpact = (base + o[5]).assumingMemoryBound(to: UInt16.self)
        postingDocuments = (base + o[6]).assumingMemoryBound(to: UInt32.self)
        postingImpacts = (base + o[7]).assumingMemoryBound(to: UInt16.self)
        blockLastDocument = (base + o[8]).assumingMemoryBound(to: UInt32.self)
        blockMaxImpact = (base + o[9]).assumingMemoryBound(to: UInt16.self)
        documentKeys = (base + o[10]).assumingMemoryBound(to: UInt64.self)
        documentAttributes = (base + o[11]).assumingMemoryBound(to: UInt32.self)
        documentNameHashes = (base + o[12]).assumingMemoryBound(to: UInt64.self)
    }

    deinit { memory.deallocate() }

    /// A zeroed, aligned block for an image with `counts`, its header written.
    static func allocate(counts: Counts, header: Header) -> IndexImage {
        let size = size(of: counts)
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        memory.initializeMemory(as: UInt8.self, repeating: 0)
        let fields = memory.baseAddress!.assumingMemoryBound(to: UInt64.self)
        let values: [UInt64] = [
            magic, formatVersion, header.stamp, UInt64(counts.documents), UInt64(counts.terms),
            UInt64(counts.termBytes), UInt64(counts.slots), UInt64(counts.postings), UInt64(counts.blocks),
            header.scoreScale.bitPattern, UInt64(header.statisticsDocuments),
        ] + header.averageFieldLengths.map(\.bitPattern)
        for (index, value) in values.enumerated() { fields[index] = value }
        return IndexImage(memory: memory, counts: counts, header: header)
    }

    /// Reads the header of `memory` (at least ``headerBytes``): the counts and fields, or a reason.
    static func readHeader(_ memory: UnsafeRawBufferPointer) -> Result<(Counts, Header), SearchError> {
        func fail(_ message: String) -> Result<(Counts, Header), SearchError> {
            .failure(SearchError(.indexUnreadable, message))
        }
        guard memory.count >= headerBytes else { return fail("shorter than its header") }
        let field = { (index: Int) -> UInt64 in memory.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self) }
        guard field(0) == magic else { return fail("not a search index (bad magic number)") }
        guard field(1) == formatVersion else { return fail("index format \(field(1)), this build reads \(formatVersion)") }
        let limit = UInt64(Int32.max)
        for index in 3...8 where field(index) > limit { return fail("header field \(index) out of range") }
        let counts = Counts(
            documents: Int(field(3)), terms: Int(field(4)), termBytes: Int(field(5)), slots: Int(field(6)),
            postings: Int(field(7)), blocks: Int(field(8)))
        let fields = RankingParameters.Field.allCases.count
        let header = Header(
            stamp: field(2), scoreScale: Double(bitPattern: field(9)),
            statisticsDocuments: Int(min(field(10), limit)),
            averageFieldLengths: (0..<fields).map { Double(bitPattern: field(11 + $0)) })
        return .success((counts, header))
    }

    /// The bytes of term `id`.
    @inline(__always)
    func term(_ id: Int) -> UnsafeBufferPointer<UInt8> {
        let start = Int(termOffsets[id])
        return UnsafeBufferPointer(start: termBytes + start, count: Int(termOffsets[id + 1]) - start)
    }

    /// The id of `term`, or nil.
    func find(_ term: UnsafeBufferPointer<UInt8>) -> Int? {
        guard counts.slots > 0 else { return nil }
        let mask = counts.slots - 1
        var slot = Int(truncatingIfNeeded: TermTable.hash(term)) & mask
        var probes = 0
        while probes < counts.slots {
            let entry = slots[slot]
            if entry == 0 { return nil }
            let id = Int(entry - 1)
            let stored = self.term(id)
            if stored.count == term.count, memcmp(stored.baseAddress!, term.baseAddress!, term.count) == 0 {
                return id
            }
            slot = (slot + 1) & mask
            probes += 1
        }
        return nil
    }

    /// Checks every bound a search relies on, so a corrupt or hostile file is refused instead of
    /// read out of bounds: offsets ascend and end where they must, slots name real terms, documents
    /// ascend within each term and exist, and each block's last document is the one stored.
    func validate() -> SearchError? {
        func fail(_ message: String) -> SearchError { SearchError(.indexUnreadable, "corrupt index: \(message)") }
        let c = counts
        // The scores' scale and the statistics an overlay scores with: a corrupt double would make every
        // score NaN or infinite (and, the stamp still agreeing, the file would never be rebuilt).
        guard header.scoreScale.isFinite, header.scoreScale > 0 else { return fail("score scale") }
        guard header.averageFieldLengths.allSatisfy({ $0.isFinite && $0 >= 0 }) else { return fail("field lengths") }
        guard c.slots == 0 || (c.slots & (c.slots - 1) == 0 && c.slots > c.terms) else { return fail("hash slots") }
        guard termOffsets[0] == 0, Int(termOffsets[c.terms]) == c.termBytes else { return fail("term offsets") }
        guard postingStart[0] == 0, Int(postingStart[c.terms]) == c.postings else { return fail("posting offsets") }
        guard blockStart[0] == 0, Int(blockStart[c.terms]) == c.blocks else { return fail("block offsets") }
        for slot in 0..<c.slots where Int(slots[slot]) > c.terms { return fail("hash slot \(slot)") }
        for term in 0..<c.terms {
            guard termOffsets[term] <= termOffsets[term + 1], postingStart[term] <= postingStart[term + 1]
            else { return fail("term \(term) offsets") }
            let start = Int(postingStart[term])
            let end = Int(postingStart[term + 1])
            let blocks = (end - start + Self.blockSize - 1) / Self.blockSize
            guard Int(blockStart[term + 1]) - Int(blockStart[term]) == blocks else { return fail("term \(term) blocks") }
            var previous: Int64 = -1
            for position in start..<end {
                let document = Int64(postingDocuments[position])
                guard document > previous, document < Int64(c.documents) else {
                    return fail("term \(term) posting \(position - start)")
                }
                previous = document
            }
            for block in 0..<blocks {
                let last = min(end, start + (block + 1) * Self.blockSize) - 1
                guard blockLastDocument[Int(blockStart[term]) + block] == postingDocuments[last] else {
                    return fail("term \(term) block \(block)")
                }
            }
        }
        return nil
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
