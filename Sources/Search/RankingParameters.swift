/// BM25F's parameters: one weight and one length normalization per field, and `k1`.
///
/// The defaults were chosen on the labelled query set (`Tests/RegistryTests/Fixtures/quality`, 197
/// queries; docs/DECISIONS.md 36), where they reach recall@5 0.843 and MRR 0.615 against plain FTS5
/// `bm25()`'s 0.807 and 0.613 over the same rows:
/// - **name 2.0, b 1.0**: the id says what a tool does and agents search by name; full length
///   normalization makes `npm.cheerio` beat the fork `npm.divriots.cheerio` with the same summary.
/// - **title 2.0, b 0.75** and **keywords 2.0, b 0.75**: short fields written by the author.
/// - **description 1.5, b 0.5**: the longest field; a lighter normalization than BM25's usual 0.75
///   keeps tools with a thorough description (the starter tools run to 1,500 characters, a package
///   summary averages 57) from sinking below one-line summaries.
/// - **k1 0.3**: early saturation. A tool query is a few distinct words; covering more of them matters
///   more than repeating one (k1 1.2 loses 0.08 of recall@5 on the set).
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
        weights: [2.0, 2.0, 2.0, 1.5], lengthNormalization: [1.0, 0.75, 0.75, 0.5], k1: 0.3)
}
