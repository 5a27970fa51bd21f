/// Document-at-a-time top-k retrieval with MaxScore (Turtle and Flood, 1995) and block maxima.
///
/// Lists are ordered by their highest impact. With `θ` the score of the k-th best document so far,
/// the lists whose maxima sum to at most `θ` are *non-essential*: a document found only in them cannot
/// enter the top k, so only the other (*essential*) lists propose candidates. Each candidate's score
/// from the essential lists is completed from the non-essential ones, best first, stopping as soon as
/// even their block maxima (the best impact of the 64-posting block that would hold the candidate)
/// cannot lift it past `θ`. The result is exactly the exhaustive top k (ties: lower document first).
enum MaxScore {
    static func run(lists: inout [PostingList], image: IndexImage, filter: CompiledFilter, top: inout TopK) {
        lists.sort { $0.maxImpact < $1.maxImpact }
        let count = lists.count
        // bounds[i]: the sum of the maxima of lists 0...i.
        var bounds = [UInt32](repeating: 0, count: count)
        var sum: UInt32 = 0
        for index in 0..<count {
            sum += lists[index].maxImpact
            bounds[index] = sum
        }
        let attributes = image.documentAttributes
        var firstEssential = 0
        var threshold: UInt32 = 0

        lists.withUnsafeMutableBufferPointer { lists in
            bounds.withUnsafeBufferPointer { bounds in
                while firstEssential < count {
                    // The next candidate: the lowest document under an essential list.
                    var candidate = UInt32.max
                    for index in firstEssential..<count where lists[index].document < candidate {
                        candidate = lists[index].document
                    }
                    if candidate == UInt32.max { break }

                    var score: UInt32 = 0
                    for index in firstEssential..<count where lists[index].document == candidate {
                        score += UInt32(lists[index].impact)
                        lists[index].advance()
                    }
                    if filter.isSelective, !filter.passes(candidate, attributes: attributes[Int(candidate)]) { continue }

                    // Complete from the non-essential lists, best first, while the document can still win.
                    var index = firstEssential - 1
                    while index >= 0 {
                        if top.isFull {
                            if score + bounds[index] <= threshold { break }
                            let rest = index > 0 ? bounds[index - 1] : 0
                            if score + lists[index].blockBound(for: candidate) + rest <= threshold { break }
                        }
                        lists[index].seek(candidate)
                        if lists[index].document == candidate { score += UInt32(lists[index].impact) }
                        index -= 1
                    }

                    if score > 0, !top.isFull || score > threshold,
                        filter.isSelective || filter.passes(candidate, attributes: attributes[Int(candidate)]),
                        top.offer(score: score, document: candidate), top.isFull
                    {
                        threshold = top.threshold
                        while firstEssential < count, bounds[firstEssential] <= threshold { firstEssential += 1 }
                    }
                }
            }
        }
    }
}
