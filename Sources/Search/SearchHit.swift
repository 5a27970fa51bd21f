/// One result of a search: a document and its score.
public struct SearchHit: Sendable, Hashable {
    /// The document's position in its index.
    public var document: UInt32
    /// The caller's key for the document (see ``SearchDocument/key``).
    public var key: UInt64
    /// The BM25F score (quantized at index time; comparable across indexes built with the same
    /// statistics).
    public var score: Double

    /// A hit.
    public init(document: UInt32, key: UInt64, score: Double) {
        self.document = document
        self.key = key
        self.score = score
    }
}
