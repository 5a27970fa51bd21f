/// The best `capacity` (score, document) pairs seen, as a min-heap: the worst kept pair is at the root,
/// so ``threshold`` (the score a new document must beat) is one load.
struct TopK {
    struct Entry {
        var score: UInt32
        var document: UInt32
    }

    let capacity: Int
    private(set) var heap: [Entry] = []

    init(capacity: Int) {
        self.capacity = capacity
        heap.reserveCapacity(capacity)
    }

    /// Whether `capacity` pairs are kept.
    @inline(__always)
    var isFull: Bool { heap.count >= capacity }

    /// The score to beat once full (0 before).
    @inline(__always)
    var threshold: UInt32 { isFull ? heap[0].score : 0 }

    /// "Worse" for the heap: a lower score, or the same score and a higher document (documents arrive
    /// in ascending order, so among equal scores the earliest are kept).
    @inline(__always)
    private static func worse(_ a: Entry, _ b: Entry) -> Bool {
        a.score < b.score || (a.score == b.score && a.document > b.document)
    }

    /// Offers a pair; returns whether it was kept.
    @discardableResult
    mutating func offer(score: UInt32, document: UInt32) -> Bool {
        let entry = Entry(score: score, document: document)
        if heap.count < capacity {
            heap.append(entry)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard Self.worse(heap[child], heap[parent]) else { break }
                heap.swapAt(child, parent)
                child = parent
            }
            return true
        }
        guard Self.worse(heap[0], entry) else { return false }
        heap[0] = entry
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { break }
            var smallest = left
            if left + 1 < heap.count, Self.worse(heap[left + 1], heap[left]) { smallest = left + 1 }
            guard Self.worse(heap[smallest], heap[parent]) else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return true
    }

    /// The kept pairs, best first.
    func sorted() -> [Entry] { heap.sorted { Self.worse($1, $0) } }
}
