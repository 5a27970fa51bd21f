/// The collection statistics BM25F scores with: how many documents, their average field lengths,
/// and how many documents hold each term. An overlay index (a few local tools) is built with the
/// statistics of the large index it sits on, so the two indexes' scores compare.
public struct SearchStatistics: Sendable {
    /// Documents in the collection.
    public var documentCount: Int
    /// Average length of each field, in terms, in ``RankingParameters/Field`` order.
    public var averageFieldLengths: [Double]
    /// How many documents hold `term` (a stemmed term's bytes).
    public var documentFrequency: @Sendable ([UInt8]) -> Int

    /// Statistics.
    public init(
        documentCount: Int, averageFieldLengths: [Double], documentFrequency: @escaping @Sendable ([UInt8]) -> Int
    ) {
        self.documentCount = documentCount
        self.averageFieldLengths = averageFieldLengths
        self.documentFrequency = documentFrequency
    }

}

/// The formulas the builder scores with.
enum StatisticsMath {
    /// BM25's inverse document frequency (always positive): `ln(1 + (N − df + 0.5) / (df + 0.5))`.
    static func idf(documentFrequency df: Int, documentCount n: Int) -> Double {
        let df = Double(max(1, min(df, n)))
        return log(1 + (Double(n) - df + 0.5) / (df + 0.5))
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
