/// A cursor over one term's postings: the current document and its impact, with skips by block.
struct PostingList {
    /// The document under the cursor; `UInt32.max` once exhausted.
    private(set) var document: UInt32
    /// The highest impact in the list.
    let maxImpact: UInt32
    private var position: Int
    /// The block the last ``blockBound(for:)`` or ``seek(_:)`` found (never behind the cursor's).
    private var probe: Int
    private let start: Int
    private let end: Int
    private let firstBlock: Int
    private let lastBlock: Int
    private let documents: UnsafeMutablePointer<UInt32>
    private let impacts: UnsafeMutablePointer<UInt16>
    private let blockLast: UnsafeMutablePointer<UInt32>
    private let blockMax: UnsafeMutablePointer<UInt16>

    /// The list of `term` in `image`, positioned on its first posting.
    init(image: IndexImage, term: Int) {
        start = Int(image.postingStart[term])
        end = Int(image.postingStart[term + 1])
        firstBlock = Int(image.blockStart[term])
        lastBlock = Int(image.blockStart[term + 1]) - 1
        documents = image.postingDocuments
        impacts = image.postingImpacts
        blockLast = image.blockLastDocument
        blockMax = image.blockMaxImpact
        maxImpact = UInt32(image.maxImpact[term])
        position = start
        probe = firstBlock
        document = start < end ? documents[start] : UInt32.max
    }

    /// The impact of the posting under the cursor.
    @inline(__always)
    var impact: UInt16 { impacts[position] }

    /// Moves to the next posting.
    @inline(__always)
    mutating func advance() {
        position += 1
        document = position < end ? documents[position] : UInt32.max
    }

    /// The block holding the posting under the cursor.
    @inline(__always)
    private var block: Int { firstBlock + (position - start) / IndexImage.blockSize }

    /// The first block at or after `from` whose last document is at least `target`; `lastBlock + 1`
    /// when none is (galloping: the step doubles until it passes the target, then a binary search).
    @inline(__always)
    private func findBlock(from: Int, _ target: UInt32) -> Int {
        if from > lastBlock || blockLast[from] >= target { return from }
        var low = from
        var step = 1
        var high = from + 1
        while high <= lastBlock, blockLast[high] < target {
            low = high
            step <<= 1
            high = from + step
        }
        if high > lastBlock {
            guard blockLast[lastBlock] >= target else { return lastBlock + 1 }
            high = lastBlock
        }
        while low + 1 < high {
            let middle = (low + high) / 2
            if blockLast[middle] < target { low = middle } else { high = middle }
        }
        return high
    }

    /// The highest impact of the block that would hold `target` (0 when no posting is at or after it):
    /// an upper bound of what this list adds to `target`. Moves only the block probe, not the cursor;
    /// targets must not decrease.
    @inline(__always)
    mutating func blockBound(for target: UInt32) -> UInt32 {
        if document >= target { return document == UInt32.max ? 0 : UInt32(blockMax[block]) }
        probe = findBlock(from: max(probe, block), target)
        return probe <= lastBlock ? UInt32(blockMax[probe]) : 0
    }

    /// Moves to the first posting whose document is at least `target`.
    @inline(__always)
    mutating func seek(_ target: UInt32) {
        guard document < target else { return }
        let b = findBlock(from: max(probe, block), target)
        guard b <= lastBlock else {
            position = end
            document = UInt32.max
            return
        }
        probe = b
        position = max(position, start + (b - firstBlock) * IndexImage.blockSize)
        while documents[position] < target { position += 1 }
        document = documents[position]
    }
}
