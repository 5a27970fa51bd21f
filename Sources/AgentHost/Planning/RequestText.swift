import ToolRuntime

/// A request as the offline planner reads it: validated, then split into what it names (quoted text,
/// links, e-mail addresses, numbers, words) with where each sits.
///
/// - Quoted text is what stands between `"` and `"` (or `“` and `”`); an unclosed quote is an
///   ordinary character. Quotes are never split into words.
/// - Outside quotes, white space separates tokens; a token loses its surrounding punctuation and is a
///   link (`http://` or `https://`), an e-mail address (`local@domain.tld`), a number (`42`, `-3.5`)
///   or a word.
/// - The first line break, or the first token that ends with `:`, separates an instruction from its
///   content (`Count the words: …`); ``content`` is what follows, trimmed.
struct RequestText: Sendable {
    /// What a token is.
    enum Kind: Sendable, Equatable {
        case word, url, email, number
    }

    /// One token outside quotes.
    struct Token: Sendable {
        /// The token without its surrounding punctuation, as written.
        var text: String
        var kind: Kind
        /// Where it is in the request (without the punctuation).
        var range: Range<String.Index>
        /// Its position among the tokens (0-based).
        var position: Int
        /// Lowercased, for matching.
        var lowered: String
    }

    /// One quoted text.
    struct Quote: Sendable {
        /// What stands between the quotes.
        var text: String
        /// Where it is in the request, quotes included.
        var range: Range<String.Index>
        /// How many tokens come before it.
        var position: Int
    }

    /// The request as given.
    let text: String
    /// Tokens outside quotes, in order.
    let tokens: [Token]
    /// Quoted texts, in order (empty quotes left out).
    let quotes: [Quote]
    /// Where the content after the instruction starts (see the type's summary), when the request has one.
    let contentStart: String.Index?

    /// Validates and reads `text`.
    ///
    /// - Parameter field: The field named in errors.
    /// - Throws: `INVALID_INPUT` naming `field` for an empty or blank text, more than
    ///   ``PlanRequest/maximumBytes`` bytes, or a control character other than tab, line feed and
    ///   carriage return (C0, DEL or C1).
    init(_ text: String, field: String = "request") throws(OmegaError) {
        let bytes = text.utf8.count
        guard bytes <= PlanRequest.maximumBytes else {
            throw OmegaError(
                .invalidInput, "\(field): expected at most \(PlanRequest.maximumBytes) bytes of text, got \(bytes)",
                details: ["field": .string(field)])
        }
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            let value = scalar.value
            let control =
                (value < 0x20 && value != 0x09 && value != 0x0A && value != 0x0D) || (0x7F...0x9F).contains(value)
            if control {
                let hex = String(value, radix: 16, uppercase: true)
                throw OmegaError(
                    .invalidInput,
                    "\(field): expected text, found the control character U+\(String(repeating: "0", count: max(0, 4 - hex.count)))\(hex) at character \(offset)",
                    details: ["field": .string(field)])
            }
        }
        guard text.contains(where: { !$0.isWhitespace }) else {
            throw OmegaError(
                .invalidInput, "\(field): expected what you want done, in words; got an empty text",
                details: ["field": .string(field)])
        }
        self.text = text
        var tokens: [Token] = []
        var quotes: [Quote] = []
        var contentStart: String.Index?
        var tokenStart: String.Index?

        func flush(upTo end: String.Index) {
            guard let start = tokenStart else { return }
            tokenStart = nil
            if contentStart == nil, text[text.index(before: end)] == ":", end < text.endIndex {
                contentStart = end
            }
            guard let token = Self.token(text, start..<end, position: tokens.count) else { return }
            tokens.append(token)
        }

        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "\"" || character == "“" {
                let after = text.index(after: index)
                let closing: (Character) -> Bool = character == "\"" ? { $0 == "\"" } : { $0 == "”" || $0 == "\"" }
                if let close = text[after...].firstIndex(where: closing) {
                    flush(upTo: index)
                    let inner = String(text[after..<close])
                    if !inner.allSatisfy(\.isWhitespace) {
                        quotes.append(
                            Quote(text: inner, range: index..<text.index(after: close), position: tokens.count))
                    }
                    index = text.index(after: close)
                    continue
                }
            }
            if character.isWhitespace {
                flush(upTo: index)
                if character.isNewline, contentStart == nil { contentStart = text.index(after: index) }
            } else if tokenStart == nil {
                tokenStart = index
            }
            index = text.index(after: index)
        }
        flush(upTo: text.endIndex)
        if let start = contentStart, text[start...].allSatisfy(\.isWhitespace) { contentStart = nil }
        self.tokens = tokens
        self.quotes = quotes
        self.contentStart = contentStart
    }

    /// Characters a token loses at its start and its end.
    private static let leadingPunctuation: Set<Character> = ["(", "[", "{", "<", "'", "‘", "`", "*", "_"]
    private static let trailingPunctuation: Set<Character> = [
        ".", ",", ";", ":", "!", "?", ")", "]", "}", ">", "'", "’", "`", "*", "_",
    ]

    private static func token(_ text: String, _ raw: Range<String.Index>, position: Int) -> Token? {
        var lower = raw.lowerBound
        var upper = raw.upperBound
        while lower < upper, leadingPunctuation.contains(text[lower]) { lower = text.index(after: lower) }
        while lower < upper, trailingPunctuation.contains(text[text.index(before: upper)]) {
            upper = text.index(before: upper)
        }
        guard lower < upper else { return nil }
        let value = String(text[lower..<upper])
        let lowered = value.lowercased()
        let kind: Kind
        if (lowered.hasPrefix("http://") && lowered.count > 7) || (lowered.hasPrefix("https://") && lowered.count > 8) {
            kind = .url
        } else if isEmail(value) {
            kind = .email
        } else if isNumber(value) {
            kind = .number
        } else if value.contains(where: { $0.isLetter || $0.isNumber }) {
            kind = .word
        } else {
            return nil
        }
        return Token(text: value, kind: kind, range: lower..<upper, position: position, lowered: lowered)
    }

    /// `local@domain.tld` with an ASCII local part and domain (labels of letters, digits and `-`).
    static func isEmail(_ value: String) -> Bool {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64 else { return false }
        let localAllowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!#$%&'*+/=?^_`{|}~-")
        guard parts[0].allSatisfy({ localAllowed.contains($0) }) else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, let last = labels.last, last.count >= 2, last.allSatisfy(\.isLetter) else {
            return false
        }
        return labels.allSatisfy { label in
            !label.isEmpty && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    /// `[+-]digits[.digits]`.
    static func isNumber(_ value: String) -> Bool {
        var body = Substring(value)
        if body.first == "-" || body.first == "+" { body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        return parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    // MARK: What the planner reads

    /// The words outside quotes, in order.
    var words: [Token] { tokens.filter { $0.kind == .word } }

    /// The words that say what to do: the words before ``contentStart`` (all of them when that leaves
    /// none, or when there is no content), without ``Vocabulary/stopWords``, each once, in order.
    var taskWords: [Token] {
        var words = self.words
        if let contentStart {
            let instruction = words.filter { $0.range.upperBound <= contentStart }
            if instruction.contains(where: { !Vocabulary.isStopWord($0.lowered) }) { words = instruction }
        }
        var seen = Set<String>()
        return words.filter { !Vocabulary.isStopWord($0.lowered) && seen.insert($0.lowered).inserted }
    }

    /// The search query: ``taskWords``, lowercased, joined by spaces, at most
    /// ``Vocabulary/maximumQueryWords`` words and 1,024 bytes; empty when the request has no such word.
    var searchQuery: String { Vocabulary.query(taskWords.map(\.lowered)) }

    /// The free text left once `consumed` ranges are taken out: the content after the instruction when
    /// there is one (kept as written, line breaks included, trimmed), else the whole request with its
    /// white space collapsed. Nil when nothing is left.
    func remainingText(excluding consumed: [Range<String.Index>]) -> (text: String, isContent: Bool)? {
        let start = contentStart ?? text.startIndex
        var pieces = ""
        var cursor = start
        for range in consumed.sorted(by: { $0.lowerBound < $1.lowerBound }) where range.upperBound > cursor {
            if range.lowerBound > cursor { pieces += text[cursor..<range.lowerBound] }
            cursor = max(cursor, range.upperBound)
        }
        if cursor < text.endIndex { pieces += text[cursor...] }
        let result: String
        if contentStart != nil {
            result = pieces.trimmingWhitespace()
        } else {
            result = pieces.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        return result.isEmpty ? nil : (result, contentStart != nil)
    }
}

extension StringProtocol {
    /// The text without leading and trailing white space (line breaks included).
    func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(self[first...last])
    }
}
