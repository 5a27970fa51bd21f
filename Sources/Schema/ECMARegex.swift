import JSON
/// An ECMA-262 regular expression (what `pattern` and `patternProperties` are written in), run by
/// Swift's `Regex` after translation, with ECMA's code-point semantics: `\d` and `\w` are ASCII
/// only, `.` and quantifiers work on Unicode scalars, `$` is the end of the input, `\uXXXX`
/// (surrogate pairs included) and `\cX` escapes are rewritten, `[^]` matches anything and `[` inside
/// a class is a literal.
///
/// Most schema patterns (literals, classes, groups, alternation, quantifiers, anchors, `\b`) run on
/// ``ScalarNFA``, a linear-time automaton that cannot backtrack catastrophically; the rest
/// (lookahead, backreferences, `\p{…}`) run on Swift's backtracking `Regex`.
///
/// Refused at compile time (a ``SchemaError``): patterns that do not compile, patterns longer than
/// ``maximumLength``, and patterns that need the backtracking engine while nesting unbounded
/// quantifiers (`(a+)+\1`, `^(\p{L}+)*$`), which hostile input could make run for hours.
///
/// Known gaps: lookbehind (`(?<=…)`, `(?<!…)`) is not supported by Swift's engine and is refused;
/// ECMA's Annex B leniencies (a lone `{` or `]` as a literal, octal escapes) follow Swift's rules.
struct ECMARegex: @unchecked Sendable {
    /// The longest pattern accepted.
    static let maximumLength = 4096

    /// The pattern as written.
    let source: String
    private let regex: Regex<AnyRegexOutput>
    /// Set when the pattern is a plain literal prefix/suffix/substring test we run without `Regex`.
    private let literal: LiteralMatch?
    /// The linear-time automaton, when the pattern is in its subset (most schema patterns are).
    private let automaton: ScalarNFA?

    private enum LiteralMatch {
        case prefix(String), suffix(String), exact(String), contains(String)
    }

    /// Compiles `pattern`.
    ///
    /// - Throws: a message describing why the pattern is refused.
    init(_ pattern: String) throws(ECMARegexError) {
        source = pattern
        guard pattern.unicodeScalars.count <= ECMARegex.maximumLength else {
            throw ECMARegexError(message: "pattern is longer than \(ECMARegex.maximumLength) characters")
        }
        var nestedUnbounded = false
        let translated = try ECMARegex.translate(pattern, nestedUnbounded: &nestedUnbounded)
        do {
            regex = try Regex(translated).matchingSemantics(.unicodeScalar).asciiOnlyDigits().asciiOnlyWordCharacters()
                .wordBoundaryKind(.simple)
        } catch {
            throw ECMARegexError(message: "pattern \"\(pattern)\" is not a valid regular expression (\(error))")
        }
        literal = ECMARegex.literalShape(pattern)
        automaton = literal == nil ? ScalarNFA(pattern) : nil
        if nestedUnbounded && literal == nil && automaton == nil {
            // Only Swift's backtracking engine could run it, and hostile input would make it explode.
            throw ECMARegexError(
                message: "pattern \"\(pattern)\" nests unbounded quantifiers (catastrophic backtracking) and needs features (lookaround, backreferences, \\p{…}) only the backtracking engine has")
        }
    }

    /// True when matching runs without Swift's `Regex` (a literal test or the automaton).
    var usesFastPath: Bool { literal != nil || automaton != nil }

    /// The answer of Swift's `Regex` alone (tests compare it with the fast paths).
    func matchesWithRegex(_ string: String) -> Bool { (try? regex.firstMatch(in: string)) != nil }

    /// True when the pattern matches somewhere in `string` (ECMA `RegExp.prototype.test`).
    func matches(_ string: String) -> Bool {
        if let literal {
            switch literal {
            case .prefix(let p): return string.unicodeScalars.starts(with: p.unicodeScalars)
            case .suffix(let p): return string.unicodeScalars.reversed().starts(with: p.unicodeScalars.reversed())
            case .exact(let p): return string.unicodeScalars.elementsEqual(p.unicodeScalars)
            case .contains(let p): return p.isEmpty || string.unicodeScalars.firstRange(of: p.unicodeScalars) != nil
            }
        }
        if let automaton { return automaton.matches(string) }
        return (try? regex.firstMatch(in: string)) != nil
    }

    /// `^abc`, `abc$`, `^abc$` or `abc` with no metacharacters: matched without the regex engine.
    private static func literalShape(_ pattern: String) -> LiteralMatch? {
        var body = Substring(pattern)
        let anchoredStart = body.hasPrefix("^")
        if anchoredStart { body = body.dropFirst() }
        let anchoredEnd = body.hasSuffix("$")
        if anchoredEnd { body = body.dropLast() }
        let meta: Set<Unicode.Scalar> = ["\\", "^", "$", ".", "|", "?", "*", "+", "(", ")", "[", "]", "{", "}"]
        guard !body.unicodeScalars.contains(where: { meta.contains($0) }) else { return nil }
        let text = String(body)
        switch (anchoredStart, anchoredEnd) {
        case (true, true): return .exact(text)
        case (true, false): return .prefix(text)
        case (false, true): return .suffix(text)
        case (false, false): return .contains(text)
        }
    }

    /// Rewrites the ECMA syntax Swift reads differently; refuses hostile shapes.
    static func translate(_ pattern: String, nestedUnbounded: inout Bool) throws(ECMARegexError) -> String {
        let s = Array(pattern.unicodeScalars)
        var out = ""
        var i = 0
        var inClass = false
        // Star-height check: per open group, whether it contains an unbounded quantifier.
        var groupUnbounded: [Bool] = []
        var lastGroupUnbounded = false  // the group that just closed
        var lastWasGroupClose = false

        func hex(_ value: UInt32) -> String { String(value, radix: 16) }
        func hexValue(_ from: Int, _ count: Int) -> UInt32? {
            guard from + count <= s.count else { return nil }
            var v: UInt32 = 0
            for k in from..<(from + count) {
                guard let d = UInt32(String(s[k]), radix: 16) else { return nil }
                v = v << 4 | d
            }
            return v
        }
        func markUnbounded() { if !groupUnbounded.isEmpty { groupUnbounded[groupUnbounded.count - 1] = true } }

        while i < s.count {
            let c = s[i]
            let closedGroupBefore = lastWasGroupClose
            lastWasGroupClose = false
            if c == "\\" {
                guard i + 1 < s.count else { throw ECMARegexError(message: "pattern \"\(pattern)\" ends with a backslash") }
                let n = s[i + 1]
                switch n {
                case "u", "p", "P":
                    if i + 2 < s.count, s[i + 2] == "{" {
                        // `\u{…}`, `\p{…}`: copied through to the closing brace.
                        var j = i + 2
                        while j < s.count, s[j] != "}" { j += 1 }
                        guard j < s.count else {
                            throw ECMARegexError(message: "pattern \"\(pattern)\" has an unterminated \\\(n){…} escape")
                        }
                        out += "\\" + String(String.UnicodeScalarView(s[(i + 1)...j]))
                        i = j + 1
                        continue
                    }
                    if n != "u" {
                        throw ECMARegexError(message: "pattern \"\(pattern)\" has \\\(n) without a {property}")
                    }
                    guard let v = hexValue(i + 2, 4) else { out += "u"; i += 2; continue }
                    var scalar = v
                    var consumed = 6
                    if (0xD800...0xDBFF).contains(v), i + 12 <= s.count, s[i + 6] == "\\",
                        s[i + 7] == "u", let low = hexValue(i + 8, 4), (0xDC00...0xDFFF).contains(low)
                    {
                        scalar = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                        consumed = 12
                    }
                    out += "\\u{\(hex(scalar))}"
                    i += consumed
                    continue
                case "c":
                    if i + 2 < s.count, s[i + 2].isASCIILetter {
                        out += "\\u{\(hex(s[i + 2].value % 32))}"
                        i += 3
                        continue
                    }
                    out += "\\\\c"
                case "/": out += "/"
                case "0": out += "\\u{0}"
                case "-", "&", "~", "[", "]": out += "\\" + String(n)
                case _ where n.isASCIILetter && !"dDwWsSbBnrtfvxk".unicodeScalars.contains(n):
                    throw ECMARegexError(message: "pattern \"\(pattern)\" uses \\\(n), which is not an ECMA-262 escape")
                default: out += "\\" + String(n)
                }
                i += 2
                continue
            }
            if inClass {
                switch c {
                case "]": inClass = false; out += "]"
                case "[", "&", "~": out += "\\" + String(c)
                case "-" where i + 1 < s.count && s[i + 1] == "-": out += "\\-"
                default: out.unicodeScalars.append(c)
                }
                i += 1
                continue
            }
            switch c {
            case "[":
                if i + 1 < s.count, s[i + 1] == "]" {
                    out += "(?!)"
                    i += 2
                    continue
                }
                if i + 2 < s.count, s[i + 1] == "^", s[i + 2] == "]" {
                    out += "[\\s\\S]"
                    i += 3
                    continue
                }
                inClass = true
                out += "["
                if i + 1 < s.count, s[i + 1] == "^" { out += "^"; i += 1 }
                if i + 1 < s.count, s[i + 1] == "]" { out += "\\]"; i += 1 }
            case "$": out += "\\z"
            case "(":
                if i + 3 < s.count, s[i + 1] == "?", s[i + 2] == "<", s[i + 3] == "=" || s[i + 3] == "!" {
                    throw ECMARegexError(message: "pattern \"\(pattern)\" uses lookbehind, which is not supported")
                }
                if i + 2 < s.count, s[i + 1] == "?", !":=!<".unicodeScalars.contains(s[i + 2]) {
                    // `(?i)`, `(?P<name>…)`, `(?#…)`: not ECMA-262 syntax.
                    throw ECMARegexError(message: "pattern \"\(pattern)\" uses (?\(s[i + 2]), which is not ECMA-262 syntax")
                }
                groupUnbounded.append(false)
                out += "("
            case ")":
                lastGroupUnbounded = groupUnbounded.popLast() ?? false
                if lastGroupUnbounded { markUnbounded() }
                lastWasGroupClose = true
                out += ")"
            case "*", "+":
                if closedGroupBefore && lastGroupUnbounded { nestedUnbounded = true }
                markUnbounded()
                out.unicodeScalars.append(c)
            case "{":
                // `{n,}` is unbounded; `{n}`/`{n,m}` are bounded.
                var j = i + 1
                while j < s.count, s[j] != "}" { j += 1 }
                let body = j < s.count ? String(String.UnicodeScalarView(s[(i + 1)..<j])) : ""
                if body.hasSuffix(","), closedGroupBefore, lastGroupUnbounded { nestedUnbounded = true }
                if body.hasSuffix(",") { markUnbounded() }
                if j < s.count, !body.isEmpty, body.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || $0 == "," }) {
                    out += "{" + body + "}"
                    i = j + 1
                    continue
                }
                out += "\\{"
            case "}": out += "\\}"
            default:
                out.unicodeScalars.append(c)
            }
            i += 1
        }
        if inClass { throw ECMARegexError(message: "pattern \"\(pattern)\" has an unterminated character class") }
        return out
    }
}

/// Why a pattern was refused.
struct ECMARegexError: Error {
    let message: String
}
