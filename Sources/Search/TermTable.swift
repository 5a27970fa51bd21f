/// An open-addressing hash table of terms (byte strings) to dense ids `0..<count`, in first-seen
/// order. The builder interns terms with it; its arrays (`bytes`, `offsets`, `slots`) are written into
/// the index file as they are, so a loaded index looks terms up the same way without rebuilding it.
struct TermTable {
    /// The terms' bytes, one after the other.
    private(set) var bytes: [UInt8] = []
    /// Where term `i` starts in `bytes` (`count + 1` entries).
    private(set) var offsets: [UInt32] = [0]
    /// `slots[h & mask]`: 0 for empty, else the term id + 1. Its size is a power of two, at least
    /// twice the term count.
    private(set) var slots: [UInt32] = Array(repeating: 0, count: 1024)

    /// The number of terms.
    var count: Int { offsets.count - 1 }

    /// FNV-1a over `term`, the hash of the table and of the index file.
    @inline(__always)
    static func hash(_ term: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in term {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash ^ (hash >> 29)
    }

    /// The id of `term`, adding it when new.
    mutating func intern(_ term: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: Self.hash(term)) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            if equals(Int(entry - 1), term) { return entry - 1 }
            slot = (slot + 1) & mask
        }
        let id = UInt32(count)
        bytes.append(contentsOf: term)
        offsets.append(UInt32(bytes.count))
        slots[slot] = id + 1
        if count * 2 > slots.count { grow() }
        return id
    }

    private func equals(_ id: Int, _ term: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = Int(offsets[id])
        let end = Int(offsets[id + 1])
        guard end - start == term.count else { return false }
        return bytes.withUnsafeBufferPointer { stored in
            for index in 0..<term.count where stored[start + index] != term[index] { return false }
            return true
        }
    }

    private mutating func grow() {
        var newSlots = [UInt32](repeating: 0, count: slots.count * 2)
        let mask = newSlots.count - 1
        bytes.withUnsafeBufferPointer { stored in
            for id in 0..<count {
                let term = UnsafeBufferPointer(rebasing: stored[Int(offsets[id])..<Int(offsets[id + 1])])
                var slot = Int(truncatingIfNeeded: Self.hash(term)) & mask
                while newSlots[slot] != 0 { slot = (slot + 1) & mask }
                newSlots[slot] = UInt32(id + 1)
            }
        }
        slots = newSlots
    }
}
