/// A linear-time matcher for the common subset of ECMA-262 patterns: literals, `.`, classes,
/// `\d\w\s` (and negations), groups, alternation, `* + ? {n,m}` (greedy or lazy: the same for a
/// yes/no answer), `^`, `$`, `\b`, `\B`. The pattern becomes a Thompson NFA of at most 64 states,
/// simulated with bit sets over the string's Unicode scalars, so matching costs O(length × states)
/// and cannot backtrack catastrophically. Anything else (lookaround, backreferences, `\p{…}`,
/// larger automata) returns nil from ``init(_:)`` and ``ECMARegex`` uses Swift's `Regex` instead.
struct ScalarNFA: Sendable {
    /// A set of scalars: an ASCII bitmap plus ranges above ASCII, possibly negated.
    struct ScalarSet: Sendable {
        var low: UInt64 = 0
        var high: UInt64 = 0
        var ranges: [ClosedRange<UInt32>] = []
        var negated = false

        mutating func insert(_ range: ClosedRange<UInt32>) {
            var lower = range.lowerBound
            while lower <= range.upperBound && lower < 128 {
                if lower < 64 { low |= 1 << UInt64(lower) } else { high |= 1 << UInt64(lower - 64) }
                lower += 1
            }
            if lower <= range.upperBound { ranges.append(lower...range.upperBound) }
        }

        mutating func formUnion(_ other: ScalarSet) {
            low |= other.low
            high |= other.high
            ranges += other.ranges
        }

        func contains(_ v: UInt32) -> Bool {
            let found: Bool
            if v < 64 {
                found = low & (1 << UInt64(v)) != 0
            } else if v < 128 {
                found = high & (1 << UInt64(v - 64)) != 0
            } else {
                found = ranges.contains { $0.contains(v) }
            }
            return found != negated
        }

        static func of(_ ranges: [ClosedRange<UInt32>], negated: Bool = false) -> ScalarSet {
            var set = ScalarSet()
            for r in ranges { set.insert(r) }
            set.negated = negated
            return set
        }

        static let digit = of([48...57])
        static let word = of([48...57, 65...90, 95...95, 97...122])
        static let space = of([
            9...13, 32...32, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A, 0x2028...0x2029, 0x202F...0x202F,
            0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF,
        ])
        static let dot = of([10...10, 13...13, 0x2028...0x2029], negated: true)
    }

    private enum State {
        case consume(ScalarSet, Int)
        case split(Int, Int)
        case jump(Int)
        case start(Int)
        case end(Int)
        case boundary(Bool, Int)
        case accept
    }

    private indirect enum Node {
        case set(ScalarSet)
        case sequence([Node])
        case alternation([Node])
        case repeated(Node, min: Int, max: Int?)
        case start, end
        case boundary(Bool)
    }

    /// Closure masks per state for each of the 8 position contexts (at start, at end, at a word boundary).
    private let closure: [UInt64]
    private let consumers: [(state: Int, set: ScalarSet, next: Int)]
    private let acceptBit: UInt64
    private let startState: Int
    private let usesBoundary: Bool

    /// The automaton for `pattern`, or nil when it uses syntax outside the subset or is too large.
    init?(_ pattern: String) {
        var parser = Parser(scalars: Array(pattern.unicodeScalars))
        guard let tree = parser.parseAlternation(), parser.index == parser.scalars.count else { return nil }
        var states: [State] = []
        var boundary = false
        func emit(_ state: State) -> Int {
            states.append(state)
            return states.count - 1
        }
        // Compiles `node` so that it continues to `next`; returns its entry state.
        func build(_ node: Node, _ next: Int) -> Int? {
            guard states.count < 64 else { return nil }
            switch node {
            case .set(let set): return emit(.consume(set, next))
            case .start: return emit(.start(next))
            case .end: return emit(.end(next))
            case .boundary(let positive):
                boundary = true
                return emit(.boundary(positive, next))
            case .sequence(let items):
                var entry = next
                for item in items.reversed() {
                    guard let e = build(item, entry) else { return nil }
                    entry = e
                }
                return entry == next ? emit(.jump(next)) : entry
            case .alternation(let options):
                var entries: [Int] = []
                for option in options {
                    guard let e = build(option, next) else { return nil }
                    entries.append(e)
                }
                var entry = entries.last!
                for e in entries.dropLast().reversed() { entry = emit(.split(e, entry)) }
                return entry
            case .repeated(let item, let minimum, let maximum):
                guard minimum <= 64, (maximum ?? 0) <= 64 else { return nil }
                var entry = next
                if let maximum {
                    // Optional copies: (item (item …)?)?
                    for _ in 0..<(maximum - minimum) {
                        // Either one more item (then the remaining optional copies) or straight on.
                        guard let e = build(item, entry) else { return nil }
                        entry = emit(.split(e, next))
                    }
                } else {
                    // item*: loop state splits into item (returning to the loop) or next.
                    let loop = emit(.split(0, next))
                    guard let e = build(item, loop) else { return nil }
                    states[loop] = .split(e, next)
                    entry = loop
                }
                for _ in 0..<minimum {
                    guard let e = build(item, entry) else { return nil }
                    entry = e
                }
                return entry
            }
        }
        let accept = emit(.accept)
        guard let entry = build(tree, accept), states.count <= 64 else { return nil }

        // Epsilon closures per context: bit 0 at start, bit 1 at end, bit 2 at a word boundary.
        var closure = [UInt64](repeating: 0, count: states.count * 8)
        for context in 0..<8 {
            for s in 0..<states.count {
                var mask: UInt64 = 0
                var stack = [s]
                var seen: UInt64 = 0
                while let t = stack.popLast() {
                    if seen & (1 << UInt64(t)) != 0 { continue }
                    seen |= 1 << UInt64(t)
                    switch states[t] {
                    case .consume, .accept: mask |= 1 << UInt64(t)
                    case .split(let a, let b): stack.append(a); stack.append(b)
                    case .jump(let a): stack.append(a)
                    case .start(let a): if context & 1 != 0 { stack.append(a) }
                    case .end(let a): if context & 2 != 0 { stack.append(a) }
                    case .boundary(let positive, let a): if (context & 4 != 0) == positive { stack.append(a) }
                    }
                }
                closure[s * 8 + context] = mask
            }
        }
        var consumers: [(Int, ScalarSet, Int)] = []
        for (i, state) in states.enumerated() {
            if case .consume(let set, let next) = state { consumers.append((i, set, next)) }
        }
        self.closure = closure
        self.consumers = consumers
        self.acceptBit = 1 << UInt64(accept)
        self.startState = entry
        self.usesBoundary = boundary
    }

    private static func isWord(_ v: UInt32) -> Bool {
        (v >= 48 && v <= 57) || (v >= 65 && v <= 90) || v == 95 || (v >= 97 && v <= 122)
    }

    private func close(_ set: UInt64, _ context: Int) -> UInt64 {
        var result: UInt64 = 0
        var bits = set
        while bits != 0 {
            let s = bits.trailingZeroBitCount
            bits &= bits &- 1
            result |= closure[s &* 8 &+ context]
        }
        return result
    }

    /// True when the pattern matches somewhere in `string`.
    func matches(_ string: String) -> Bool {
        let startBit: UInt64 = 1 << UInt64(startState)
        var previousWord = false
        var current: UInt64 = 0
        var atStart = true
        var iterator = string.unicodeScalars.makeIterator()
        var next = iterator.next()
        while true {
            let v = next?.value
            var context = atStart ? 1 : 0
            if v == nil { context |= 2 }
            if usesBoundary && previousWord != (v.map(ScalarNFA.isWord) ?? false) { context |= 4 }
            current = close(current | startBit, context)
            if current & acceptBit != 0 { return true }
            guard let v else { return false }
            var following: UInt64 = 0
            for consumer in consumers where current & (1 << UInt64(consumer.state)) != 0 {
                if consumer.set.contains(v) { following |= 1 << UInt64(consumer.next) }
            }
            current = following
            previousWord = ScalarNFA.isWord(v)
            atStart = false
            next = iterator.next()
        }
    }

    /// A recursive-descent parser for the supported subset; nil on anything else.
    private struct Parser {
        let scalars: [Unicode.Scalar]
        var index = 0

        init(scalars: [Unicode.Scalar]) { self.scalars = scalars }

        private var peek: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

        mutating func parseAlternation() -> Node? {
            var options: [Node] = []
            while true {
                guard let sequence = parseSequence() else { return nil }
                options.append(sequence)
                if peek == "|" { index += 1; continue }
                break
            }
            return options.count == 1 ? options[0] : .alternation(options)
        }

        private mutating func parseSequence() -> Node? {
            var items: [Node] = []
            while let c = peek, c != "|", c != ")" {
                guard var atom = parseAtom() else { return nil }
                if let quantified = parseQuantifier(atom) { atom = quantified }
                if invalid { return nil }
                if let c = peek, "*+?{".unicodeScalars.contains(c) { return nil }  // `a**`, `a{2}{3}`
                items.append(atom)
            }
            return .sequence(items)
        }

        private var invalid = false

        private mutating func parseQuantifier(_ atom: Node) -> Node? {
            guard let c = peek else { return nil }
            var minimum = 0
            var maximum: Int?
            switch c {
            case "*": index += 1
            case "+": index += 1; minimum = 1
            case "?": index += 1; maximum = 1
            case "{":
                var j = index + 1
                var first = ""
                while j < scalars.count, ("0"..."9").contains(scalars[j]) { first.unicodeScalars.append(scalars[j]); j += 1 }
                guard !first.isEmpty, j < scalars.count, let low = Int(first) else { invalid = true; return nil }
                if scalars[j] == "}" {
                    minimum = low
                    maximum = low
                } else if scalars[j] == "," {
                    j += 1
                    var second = ""
                    while j < scalars.count, ("0"..."9").contains(scalars[j]) { second.unicodeScalars.append(scalars[j]); j += 1 }
                    guard j < scalars.count, scalars[j] == "}" else { invalid = true; return nil }
                    minimum = low
                    if !second.isEmpty {
                        guard let high = Int(second), high >= low else { invalid = true; return nil }
                        maximum = high
                    }
                } else {
                    invalid = true
                    return nil
                }
                index = j + 1
            default:
                return nil
            }
            if peek == "?" { index += 1 }  // lazy: same yes/no answer
            switch atom {
            case .start, .end, .boundary: invalid = true; return nil
            default: return .repeated(atom, min: minimum, max: maximum)
            }
        }

        private mutating func parseAtom() -> Node? {
            guard let c = peek else { return nil }
            index += 1
            switch c {
            case "^": return .start
            case "$": return .end
            case ".": return .set(.dot)
            case "(":
                if peek == "?" {
                    guard index + 1 < scalars.count else { return nil }
                    if scalars[index + 1] == ":" {
                        index += 2
                    } else if scalars[index + 1] == "<", index + 2 < scalars.count, scalars[index + 2] != "=",
                        scalars[index + 2] != "!"
                    {
                        while let n = peek, n != ">" { index += 1 }
                        guard peek == ">" else { return nil }
                        index += 1
                    } else {
                        return nil  // lookaround
                    }
                }
                guard let inner = parseAlternation(), peek == ")" else { return nil }
                index += 1
                return inner
            case "[": return parseClass()
            case "\\":
                guard let e = peek else { return nil }
                index += 1
                switch e {
                case "b": return .boundary(true)
                case "B": return .boundary(false)
                default:
                    guard let set = escapeSet(e, inClass: false) else { return nil }
                    return .set(set)
                }
            case "*", "+", "?", "{", "}", ")", "]", "|": return nil
            default: return .set(.of([c.value...c.value]))
            }
        }

        /// The set an escape (after the backslash) stands for; nil when unsupported.
        private mutating func escapeSet(_ e: Unicode.Scalar, inClass: Bool) -> ScalarSet? {
            func single(_ v: UInt32) -> ScalarSet { .of([v...v]) }
            switch e {
            case "d": return .digit
            case "w": return .word
            case "s": return .space
            case "D", "W", "S":
                if inClass { return nil }
                var set = e == "D" ? ScalarSet.digit : e == "W" ? .word : .space
                set.negated = true
                return set
            case "n": return single(10)
            case "r": return single(13)
            case "t": return single(9)
            case "f": return single(12)
            case "v": return single(11)
            case "0":
                if let n = peek, ("0"..."9").contains(n) { return nil }
                return single(0)
            case "x":
                guard let v = hex(2) else { return nil }
                return single(v)
            case "u":
                if peek == "{" {
                    index += 1
                    var v: UInt32 = 0
                    var digits = 0
                    while let n = peek, n != "}" {
                        guard let d = UInt32(String(n), radix: 16), digits < 6 else { return nil }
                        v = v << 4 | d
                        digits += 1
                        index += 1
                    }
                    guard peek == "}", digits > 0, v <= 0x10FFFF else { return nil }
                    index += 1
                    return single(v)
                }
                guard let v = hex(4) else { return nil }
                if (0xD800...0xDBFF).contains(v), index + 6 <= scalars.count, scalars[index] == "\\", scalars[index + 1] == "u" {
                    let save = index
                    index += 2
                    if let low = hex(4), (0xDC00...0xDFFF).contains(low) {
                        return single(0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00))
                    }
                    index = save
                }
                return single(v)
            case "c":
                guard let n = peek, n.isASCIILetter else { return nil }
                index += 1
                return single(n.value % 32)
            default:
                // Identity escapes of syntax characters only.
                guard "^$\\.*+?()[]{}|/-".unicodeScalars.contains(e) else { return nil }
                return single(e.value)
            }
        }

        private mutating func hex(_ count: Int) -> UInt32? {
            guard index + count <= scalars.count else { return nil }
            var v: UInt32 = 0
            for k in 0..<count {
                guard let d = UInt32(String(scalars[index + k]), radix: 16) else { return nil }
                v = v << 4 | d
            }
            index += count
            return v
        }

        private mutating func parseClass() -> Node? {
            var set = ScalarSet()
            if peek == "^" {
                set.negated = true
                index += 1
            }
            while let c = peek, c != "]" {
                guard let lower = classAtom() else { return nil }
                if peek == "-", index + 1 < scalars.count, scalars[index + 1] != "]" {
                    index += 1
                    guard let upper = classAtom(), case .single(let a) = lower, case .single(let b) = upper, a <= b else {
                        return nil
                    }
                    set.insert(a...b)
                    continue
                }
                switch lower {
                case .single(let v): set.insert(v...v)
                case .set(let s):
                    guard !s.negated else { return nil }
                    set.formUnion(s)
                }
                _ = c
            }
            guard peek == "]" else { return nil }
            index += 1
            return .set(set)
        }

        private enum ClassAtom {
            case single(UInt32)
            case set(ScalarSet)
        }

        private mutating func classAtom() -> ClassAtom? {
            guard let c = peek else { return nil }
            index += 1
            if c == "[" { return nil }
            guard c == "\\" else { return .single(c.value) }
            guard let e = peek else { return nil }
            index += 1
            if e == "b" { return .single(8) }
            if e == "-" { return .single(45) }
            guard let set = escapeSet(e, inClass: true) else { return nil }
            if !set.negated, set.ranges.isEmpty, set.low.nonzeroBitCount + set.high.nonzeroBitCount == 1 {
                let v = set.low != 0 ? UInt32(set.low.trailingZeroBitCount) : UInt32(64 + set.high.trailingZeroBitCount)
                return .single(v)
            }
            if !set.negated, set.low == 0, set.high == 0, set.ranges.count == 1, set.ranges[0].count == 1 {
                return .single(set.ranges[0].lowerBound)
            }
            return .set(set)
        }
    }
}
