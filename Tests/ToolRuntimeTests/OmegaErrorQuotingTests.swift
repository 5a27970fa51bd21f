import Testing
import ToolRuntime

@Suite("OmegaError.shown: what an error may quote of a caller's text")
struct OmegaErrorQuotingTests {
    @Test("Line breaks, escapes and DEL are removed and the text is cut to its limit")
    func controlCharactersCannotForgeLines() {
        #expect(OmegaError.shown("run_1\r\nX-Injected: 1\u{1B}[31m\u{7F}") == "run_1X-Injected: 1[31m")
        #expect(OmegaError.shown(String(repeating: "é", count: 500)).count == 64)
        #expect(OmegaError.shown("/api/x", limit: 3) == "/ap")
    }
}
