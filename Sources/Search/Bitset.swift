/// A fixed-size set of document numbers, one bit each (a million documents: 128 KiB).
public struct Bitset: Sendable, Hashable {
    private var words: [UInt64]
    /// The number of positions.
    public let count: Int

    /// An empty set over `0..<count`.
    public init(count: Int) {
        self.count = count
        words = [UInt64](repeating: 0, count: (count + 63) / 64)
    }

    /// Whether no position is in the set.
    public private(set) var isEmpty = true

    /// Adds `position` (ignored when out of range).
    public mutating func insert(_ position: UInt32) {
        let index = Int(position)
        guard index < count else { return }
        words[index >> 6] |= 1 << UInt64(index & 63)
        isEmpty = false
    }

    /// Whether `position` is in the set (false when out of range).
    @inline(__always)
    public func contains(_ position: UInt32) -> Bool {
        let index = Int(position)
        guard index < count else { return false }
        return words[index >> 6] & (1 << UInt64(index & 63)) != 0
    }

    /// Keeps only the positions also in `other`.
    public mutating func formIntersection(_ other: Bitset) {
        var empty = true
        for index in words.indices {
            words[index] &= index < other.words.count ? other.words[index] : 0
            if words[index] != 0 { empty = false }
        }
        isEmpty = empty
    }
}
