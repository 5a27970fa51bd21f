/// BM25F's parameters: one weight and one length normalization per field, and `k1`.
///
/// The defaults, and why (docs/DECISIONS.md 36; tuned on the labelled query set):
/// - **name 3.0, b 0.3**: a tool's id is chosen to say what it does and an agent often searches by
///   name; ids are short, so length normalization matters little.
/// - **title 2.0, b 0.5** and **keywords 2.0, b 0.3**: curated by the author, dense in meaning.
/// - **description 1.0, b 0.75**: the longest, noisiest field; BM25's usual normalization.
/// - **k1 1.2**: the usual saturation; a word repeated across fields adds little after the first.
public struct RankingParameters: Sendable, Hashable {
    /// Per-field weight, in ``Field`` order.
    public var weights: [Double]
    /// Per-field length normalization `b`, in ``Field`` order.
    public var lengthNormalization: [Double]
    /// Term-frequency saturation.
    public var k1: Double

    /// The fields of a document, in storage order.
    public enum Field: Int, Sendable, CaseIterable {
        case name = 0, title, keywords, description
    }

    /// Parameters.
    public init(weights: [Double], lengthNormalization: [Double], k1: Double) {
        precondition(weights.count == Field.allCases.count && lengthNormalization.count == Field.allCases.count)
        self.weights = weights
        self.lengthNormalization = lengthNormalization
        self.k1 = k1
    }

    /// The defaults described above.
    public static let standard = RankingParameters(
        weights: [3.0, 2.0, 2.0, 1.0], lengthNormalization: [0.3, 0.5, 0.3, 0.75], k1: 1.2)
}
