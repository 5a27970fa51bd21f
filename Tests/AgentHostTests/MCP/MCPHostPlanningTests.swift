import Foundation
import JSON
import Service
import TestSupport
import Testing
import ToolRuntime

@testable import AgentHost

/// Planning over MCP: the `plan` tool, alternatives when a tool fails (flow D), and safe mode.
@Suite(.serialized) struct MCPHostPlanningTests {
    @Test func planProposesTheToolForTheRequestInTheDesignShape() async throws {
        let client = try MCPTestClient()
        defer { client.remove() }
        let result = try #require(
            await client.callTool("plan", ["request": "count the words and readability of \"The cat sat.\""])?["result"]
        )
        #expect(result["isError"] == false, "\(result.jsonText)")
        let plan = try #require(result["structuredContent"])
        let first = try #require(plan["plan"]?.arrayValue?.first)
        #expect(first["stepNumber"] == 1)
        #expect(first["toolName"] != nil && first["purpose"]?.stringValue?.isEmpty == false)
        #expect(plan["plans"]?.arrayValue?.isEmpty == false)
        let confidence = try #require(plan["confidence"]?.doubleValue)
        #expect(confidence > 0 && confidence <= 1)
        #expect(plan["reasoning"]?.stringValue?.isEmpty == false)
        let empty = await client.callTool("plan", ["request": ""])
        #expect(empty?["result"]?["structuredContent"]?["details"]?["field"] == "request")
    }

    @Test func aFailedToolIsAnsweredWithAlternativesAndTheKeysEachNeeds() async throws {
        let client = try MCPTestClient()
        defer { client.remove() }
        let folder = Fixture.package(
            in: client.root, id: "text.broken_counter", script: "cat >/dev/null\necho 'boom' >&2\nexit 1\n")
        // Describe it like the starter text tools so the planner finds them as alternatives.
        let manifestPath = folder + "/omega.json"
        var manifest = try JSONParser().parse(String(contentsOfFile: manifestPath, encoding: .utf8)).objectValue!
        manifest["description"] = "Counts words, sentences and readability of a text."
        manifest["keywords"] = ["text", "words", "readability"]
        Fixture.write(JSONValue.object(manifest).jsonText, to: manifestPath)
        _ = try PackageService(home: client.host.service.home).install(
            folder, trustedKeys: nil, allowUnsigned: true, force: false)
        let result = try #require(
            await client.callTool("registry_execute", ["toolId": "text.broken_counter", "input": [:]])?["result"])
        #expect(result["isError"] == true)
        #expect(result["structuredContent"]?["details"]?["code"] == "TOOL_FAILED")
        let alternatives = try #require(result["structuredContent"]?["alternatives"]?.arrayValue)
        #expect(!alternatives.isEmpty)
        #expect(!alternatives.contains { $0["id"] == "text.broken_counter" })
        #expect(alternatives.allSatisfy { $0["requiredEnvVars"]?.arrayValue != nil })
        #expect(alternatives.contains { $0["id"] == "text.stats" })
    }

    @Test func safeModeMakesEveryCallAskForApproval() async throws {
        let root = Fixture.directory("mcp-safe")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let policy = root + "/workspace-policy.json"
        Fixture.write(#"{"policyVersion": 1, "safeMode": true}"#, to: policy)
        let client = try MCPTestClient(capabilities: ["elicitation": ["form": [:]]], workspacePolicy: policy)
        defer { client.remove() }
        let arguments: JSONValue = ["toolId": "text.stats", "input": ["text": "one two"]]
        let first = try #require(await client.callTool("registry_execute", arguments)?["result"])
        #expect(first["resultType"] == "input_required", "\(first.jsonText)")
        #expect(first["inputRequests"]?["approval"]?["params"]?["message"]?.stringValue?.contains("safe") == true)
        let retry: [String: JSONValue] = [
            "requestState": first["requestState"] ?? .null, "inputResponses": ["approval": ["action": "accept"]],
        ]
        let second = try #require(await client.callTool("registry_execute", arguments, extra: retry)?["result"])
        #expect(second["isError"] == false, "\(second.jsonText)")
        #expect(second["structuredContent"]?["output"]?["words"] == 2)
    }
}
