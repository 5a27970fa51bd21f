import ModelAdapters
import Testing
import ToolRuntime

@Suite("ModelServerURL: where a model's key may be sent")
struct ModelServerURLTests {
    @Test("Plain http is refused for any server not on this machine; loopback and https are accepted")
    func plainHTTPOnlyForLoopback() throws {
        for text in ["http://api.openai.com/v1", "http://10.0.0.5:8080", "http://model.internal", "http://0.0.0.0:80"] {
            do {
                _ = try ModelServerURL(parsing: text, field: "model.baseURL")
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.code == .invalidInput && error.details["field"] == "model.baseURL")
            }
        }
        for text in ["http://127.0.0.1:8080", "http://localhost:9000/v1", "http://[::1]:8080", "https://api.openai.com/v1"] {
            #expect(throws: Never.self) { try ModelServerURL(parsing: text, field: "model.baseURL") }
        }
    }
}
