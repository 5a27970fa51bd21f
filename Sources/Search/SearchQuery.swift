/// A parsed query: its distinct terms, checked for size and content.
///
/// Refused (``SearchError/Code/invalidQuery``, naming `query` and what was expected): more than
/// ``maximumBytes`` bytes, a control character (a binary query), or no word at all. At most
/// ``maximumTerms`` distinct terms are kept, the first ones (a query is a few words, not a document).
public struct SearchQuery: Sendable, Hashable {
    /// Longest query accepted, in UTF-8 bytes.
    public static let maximumBytes = 1024
    /// Most distinct terms a query keeps.
    public static let maximumTerms = 32

    /// The distinct stemmed terms, in query order (compounds included), then the exact-name term of
    /// the whole query (see ``SearchTokenizer/exactNameTerm(_:)``).
    public let terms: [[UInt8]]
    /// The query as given.
    public let text: String

    /// Parses `text`.
    ///
    /// - Throws: ``SearchError`` with code `invalidQuery`.
    public init(_ text: String) throws(SearchError) {
        let utf8 = text.utf8
        guard utf8.count <= Self.maximumBytes else {
            throw SearchError(.invalidQuery, "query: expected at most \(Self.maximumBytes) bytes, got \(utf8.count)")
        }
        if let index = utf8.firstIndex(where: { ($0 < 0x20 && $0 != 0x09 && $0 != 0x0a && $0 != 0x0d) || $0 == 0x7f }) {
            let offset = utf8.distance(from: utf8.startIndex, to: index)
            throw SearchError(
                .invalidQuery,
                "query: expected text, found the control character 0x\(String(utf8[index], radix: 16)) at byte \(offset)")
        }
        var seen = Set<[UInt8]>()
        var terms: [[UInt8]] = []
        for term in SearchTokenizer().terms(text, compounds: true) where terms.count < Self.maximumTerms {
            if seen.insert(term).inserted { terms.append(term) }
        }
        if !terms.isEmpty, terms.count < Self.maximumTerms, let exact = SearchTokenizer.exactNameTerm(Substring(text)),
            seen.insert(exact).inserted
        {
            terms.append(exact)
        }
        guard !terms.isEmpty else {
            throw SearchError(.invalidQuery, "query: expected at least one word (letters or digits)")
        }
        self.terms = terms
        self.text = text
    }
}
