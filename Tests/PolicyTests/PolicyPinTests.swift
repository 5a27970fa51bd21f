import JSON
import Testing

@testable import Policy

@Suite struct PolicyPinTests {
    private func file(_ text: String, path: String = "p.json") throws(PolicyError) -> PolicyFile {
        try PolicyFile(parsing: text, path: path)
    }

    @Test func pinsAreReadWithOrWithoutAVersion() throws {
        let policy = try file(#"{"policyVersion": 1, "pins": ["text.stats", "web.fetch@1.2.0-beta.1"]}"#)
        #expect(policy.pins == [PolicyPin(id: "text.stats"), PolicyPin(id: "web.fetch", version: "1.2.0-beta.1")])
    }

    @Test func aMalformedPinIsRefusedNamingItsPlace() {
        for bad in [#"["Text.Stats"]"#, #"["web"]"#, #"["web.fetch@"]"#, #"["web.fetch@1 0"]"#, #"[3]"#, #""web.fetch""#] {
            do {
                _ = try file(#"{"policyVersion": 1, "pins": "# + bad + "}")
                Issue.record("accepted pins \(bad)")
            } catch {
                #expect(error.description.contains("pins"), "\(error)")
            }
        }
    }

    @Test func theNarrowestLevelsPinOfAnIdWins() throws {
        let engine = PolicyEngine(
            workspace: try file(#"{"policyVersion": 1, "pins": ["web.fetch@2.0.0"]}"#, path: "w.json"),
            project: try file(#"{"policyVersion": 1, "pins": ["web.fetch@1.0.0", "text.stats"]}"#, path: "p.json"),
            user: try file(#"{"policyVersion": 1, "pins": ["json.query"]}"#, path: "u.json"))
        #expect(engine.pins.map(\.pin.description) == ["web.fetch@2.0.0", "text.stats", "json.query"])
        #expect(engine.pins.map(\.source.level) == [.workspace, .project, .user])
    }
}
