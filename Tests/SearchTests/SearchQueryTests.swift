import Testing

@testable import Search

@Suite struct SearchQueryTests {
    @Test func emptyAndPunctuationOnlyQueriesAreRefusedNamingTheQuery() {
        for text in ["", "   ", "!!! ??", "\t"] {
            #expect(throws: SearchError.self) { try SearchQuery(text) }
        }
        do {
            _ = try SearchQuery("")
        } catch {
            #expect(error.code == .invalidQuery)
            #expect(error.message.hasPrefix("query:"))
        }
    }

    @Test func aHugeQueryIsRefusedWithItsSize() {
        let text = String(repeating: "word ", count: 2048)
        do {
            _ = try SearchQuery(text)
            Issue.record("a 10 KB query was accepted")
        } catch {
            #expect(error.message.contains("at most 1024 bytes, got 10240"))
        }
    }

    @Test func aBinaryQueryIsRefusedNamingTheByte() {
        do {
            _ = try SearchQuery("ab\u{0}cd")
            Issue.record("a binary query was accepted")
        } catch {
            #expect(error.message.contains("0x0 at byte 2"))
        }
    }

    @Test func termsAreDistinctAndCapped() throws {
        let query = try SearchQuery("data data Data parse parser")
        #expect(query.terms.map { String(decoding: $0, as: UTF8.self) } == ["data", "pars", "\u{2}datadatadataparseparser"])
        let many = (0..<100).map { "w\($0)" }.joined(separator: " ")
        #expect(try SearchQuery(many).terms.count == SearchQuery.maximumTerms)
    }
}
