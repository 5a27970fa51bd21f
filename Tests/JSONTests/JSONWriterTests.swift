import Testing

@testable import JSON

/// The streaming writer (the jail's verdict) and the one string escaper it shares with `JSONValue`.
@Suite struct JSONWriterTests {
    @Test func theWriterKeepsFieldOrderAndWritesNullForAbsentValues() {
        var out = JSONWriter()
        out.object {
            $0.field("status", "memory_limit")
            $0.field("exitCode", nil as Int64?)
            $0.field("signal", 9 as Int64?)
            $0.field("wallMs", 131.2)
            $0.field("stdoutTruncated", false)
        }
        #expect(
            out.text == #"{"status":"memory_limit","exitCode":null,"signal":9,"wallMs":131.2,"stdoutTruncated":false}"#)
    }

    @Test func stringsAreEscapedAsRFC8785Prescribes() {
        var out = ""
        JSONWriter.appendQuoted("q\"b\\s\u{08}\u{09}\u{0A}\u{0C}\u{0D}\u{01}\u{1F}\u{7F}é😀", to: &out)
        #expect(out == #""q\"b\\s\b\t\n\f\r\u0001\u001f"# + "\u{7F}é😀\"")
    }

    @Test func aCarriageReturnLineFeedInsideTextIsEscapedWhole() {
        var out = ""
        JSONWriter.appendQuoted("a\r\nb\u{301}\n\u{301}", to: &out)
        #expect(out == #""a\r\nb"# + "\u{301}" + #"\n"# + "\u{301}\"")
    }

    @Test func theWriterAndTheCanonicalFormEscapeAlike() {
        let text = "tab\there \u{0C}feed \u{00}nul \"quoted\" é"
        var written = ""
        JSONWriter.appendQuoted(text, to: &written)
        #expect(JSONValue.string(text).canonicalText == written)
        #expect(JSONValue.string(text).jsonText == written)
    }
}
