/// Splits text into search terms, the same way for documents and queries.
///
/// - A word is a run of ASCII letters and digits and non-ASCII bytes (UTF-8 letters of other scripts
///   stay whole); everything else separates words. So `snake_case`, `kebab-case`, `dotted.names` and
///   `path/like` all split.
/// - Inside a word, a lower→upper change splits camelCase (`fetchExtract` → fetch, extract) and an
///   upper run followed by lower splits acronyms (`HTTPServer` → http, server). Letters and digits
///   stay together (`base64`, `utf8`, `python3`).
/// - With `compounds`, parts joined by `_`, `-` or a case change also yield their concatenation
///   (`fetch_extract` → fetch, extract, fetchextract), so a query may name a tool either way.
/// - ASCII is lowercased, then every term goes through ``LightStemmer``. Terms longer than
///   ``maximumTermBytes`` are dropped (they are hashes or noise, never a word someone types).
public struct SearchTokenizer: Sendable {
    /// Longest term kept, in bytes.
    public static let maximumTermBytes = 48

    /// A tokenizer.
    public init() {}

    /// The terms of `text`, in order (duplicates kept; callers count them).
    ///
    /// - Parameters:
    ///   - text: UTF-8 text.
    ///   - compounds: Whether joined parts also yield their concatenation.
    public func terms(_ text: String, compounds: Bool = false) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var text = text
        text.withUTF8 { bytes in forEachTerm(bytes, compounds: compounds) { result.append($0) } }
        return result
    }

    /// Calls `body` with each term of the UTF-8 `bytes`, in order, without building an array.
    public func forEachTerm(
        _ bytes: UnsafeBufferPointer<UInt8>, compounds: Bool, _ body: (inout [UInt8]) -> Void
    ) {
        var part: [UInt8] = []
        var compound: [UInt8] = []
        var partsInCompound = 0
        part.reserveCapacity(32)
        compound.reserveCapacity(64)

        func finishPart() {
            guard !part.isEmpty else { return }
            if compounds {
                compound.append(contentsOf: part)
                partsInCompound += 1
            }
            if part.count <= Self.maximumTermBytes {
                LightStemmer.stem(&part)
                body(&part)
            }
            part.removeAll(keepingCapacity: true)
        }
        func finishCompound() {
            finishPart()
            if compounds, partsInCompound > 1, compound.count <= Self.maximumTermBytes {
                LightStemmer.stem(&compound)
                body(&compound)
            }
            compound.removeAll(keepingCapacity: true)
            partsInCompound = 0
        }

        let count = bytes.count
        var index = 0
        while index < count {
            let byte = bytes[index]
            if Self.isWordByte(byte) {
                if !part.isEmpty, Self.isCaseBoundary(bytes, at: index) { finishPart() }
                part.append(byte >= 65 && byte <= 90 ? byte + 32 : byte)
            } else if byte == 95 || byte == 45 {  // `_` and `-` join the parts of a compound
                finishPart()
            } else {
                finishCompound()
            }
            index += 1
        }
        finishCompound()
    }

    /// The exact-name term of `text`: its letters and digits, lowercased, joined without separators,
    /// after a marker byte no word holds (`\u{2}`). A tool is indexed with the exact-name term of the
    /// last segment of its id (`pypi.socket_io` → `socketio`) and a query with that of its whole text
    /// (`socket.io`, `Socket IO` → `socketio`), so a query that names a tool finds it first. Nil when
    /// the text has no letter or digit or is longer than ``maximumTermBytes``.
    public static func exactNameTerm(_ text: Substring) -> [UInt8]? {
        var term: [UInt8] = [2]
        for byte in text.utf8 where isWordByte(byte) {
            term.append(byte >= 65 && byte <= 90 ? byte + 32 : byte)
        }
        guard term.count > 1, term.count <= maximumTermBytes + 1 else { return nil }
        return term
    }

    @inline(__always)
    static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || (byte >= 48 && byte <= 57) || byte >= 0x80
    }

    @inline(__always)
    private static func isUpper(_ byte: UInt8) -> Bool { byte >= 65 && byte <= 90 }
    @inline(__always)
    private static func isLower(_ byte: UInt8) -> Bool { byte >= 97 && byte <= 122 }

    /// Whether a new part starts at `index`: `aB` (camelCase), or `ABc` at the `B` (an acronym ends).
    @inline(__always)
    private static func isCaseBoundary(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        guard index > 0, isUpper(bytes[index]) else { return false }
        let previous = bytes[index - 1]
        if isLower(previous) { return true }
        if isUpper(previous), index + 1 < bytes.count, isLower(bytes[index + 1]) { return true }
        return false
    }
}
