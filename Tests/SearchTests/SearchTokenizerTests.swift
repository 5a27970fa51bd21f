import Testing

@testable import Search

@Suite struct SearchTokenizerTests {
    private func words(_ text: String, compounds: Bool = false) -> [String] {
        SearchTokenizer().terms(text, compounds: compounds).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func snakeKebabDottedAndCamelCaseSplitIntoWords() {
        #expect(words("fetch_extract") == ["fetch", "extract"])
        #expect(words("csv-analyze") == ["csv", "analyz"])
        #expect(words("web.fetch") == ["web", "fetch"])
        #expect(words("fetchExtract") == ["fetch", "extract"])
        #expect(words("HTTPServer getURL") == ["http", "serv", "get", "url"])
        #expect(words("base64 utf8 python3") == ["base64", "utf8", "python3"])
    }

    @Test func compoundsAddTheJoinedWordForNames() {
        #expect(words("web.fetch_extract", compounds: true) == ["web", "fetch", "extract", "fetchextract"])
        #expect(words("csvAnalyze", compounds: true) == ["csv", "analyz", "csvanalyz"])
        #expect(words("csvanalyze", compounds: true) == ["csvanalyz"])
    }

    @Test func lightStemmingFoldsCommonWordForms() {
        for form in ["parse", "parser", "parsers", "parsing", "parsed", "parses"] {
            #expect(words(form) == ["pars"], "\(form)")
        }
        #expect(words("libraries library") == ["library", "library"])
        #expect(words("running runs") == ["run", "run"])
        #expect(words("class classes") == ["class", "class"])
        #expect(words("status analysis") == ["status", "analysis"])
        #expect(words("string user data") == ["string", "user", "data"])
    }

    @Test func nonASCIIWordsStayWholeAndOverlongTermsAreDropped() {
        #expect(words("naïve café") == ["naïve", "café"])
        #expect(words(String(repeating: "x", count: 200) + " ok") == ["ok"])
    }
}
