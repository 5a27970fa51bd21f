import Credentials
import Foundation
import JSON
import RunStorage
import Service
import TestSupport
import Testing
import ToolRuntime

@testable import AgentHost

/// Pauses over MCP: approvals and missing credentials as `input_required` (2026-07-28) or inline
/// elicitation (2025-11-25), resumed from the step that paused; sealed request states that refuse
/// forgery, alteration, another caller or call, expiry and replay.
@Suite(.serialized) struct MCPHostPauseTests {
    static let secret = "whsec-test-value-0123456789"
    static let input: JSONValue = [
        "url": "https://example.org/hook", "event": "order.created", "payload": ["id": 7], "timestamp": 1_700_000_000,
    ]
    static let arguments: JSONValue = ["toolId": "notify.webhook_prepare", "input": input]
    static let eliciting: JSONValue = ["elicitation": ["form": [:], "url": [:]]]

    /// The retry of the same call with the state and an answer.
    static func retry(_ state: JSONValue?, _ kind: String, action: String = "accept") -> [String: JSONValue] {
        ["requestState": state ?? .null, "inputResponses": [.init(kind): ["action": .string(action)]]]
    }

    static func ticket(fromURL url: String?) throws -> String {
        let text = try #require(url)
        let range = try #require(text.range(of: "/credentials/"))
        return String(text[range.upperBound...])
    }

    @Test func anApprovalThenCredentialsRoundTripEndsWithTheRealOutputAndStatesAreSingleUse() async throws {
        let client = try MCPTestClient(capabilities: Self.eliciting)
        defer { client.remove() }
        var transcript = ""
        let first = try #require(await client.callTool("registry_execute", Self.arguments)?["result"])
        transcript += first.jsonText
        #expect(first["resultType"] == "input_required", "\(first.jsonText)")
        let approval = try #require(first["inputRequests"]?["approval"])
        #expect(approval["method"] == "elicitation/create" && approval["params"]?["mode"] == "form")
        let message = approval["params"]?["message"]?.stringValue ?? ""
        #expect(
            message.contains("notify.webhook_prepare") && message.contains("send_webhook")
                && message.contains("sha256:"))

        let second = try #require(
            await client.callTool(
                "registry_execute", Self.arguments, extra: Self.retry(first["requestState"], "approval"))?[
                    "result"])
        transcript += second.jsonText
        #expect(second["resultType"] == "input_required", "\(second.jsonText)")
        let credentials = try #require(second["inputRequests"]?["credentials"]?["params"])
        #expect(credentials["mode"] == "url")
        let ticket = try Self.ticket(fromURL: credentials["url"]?.stringValue)
        #expect(try client.host.credentialRequest(ticket: ticket).variables.map(\.name) == ["WEBHOOK_SECRET"])
        _ = try client.host.submitCredentials(ticket: ticket, values: ["WEBHOOK_SECRET": Self.secret])
        #expect(throws: OmegaError.self) {
            try client.host.submitCredentials(ticket: ticket, values: ["WEBHOOK_SECRET": Self.secret])
        }

        let retried = Self.retry(second["requestState"], "credentials")
        let third = try #require(await client.callTool("registry_execute", Self.arguments, extra: retried)?["result"])
        transcript += third.jsonText
        #expect(third["isError"] == false, "\(third.jsonText)")
        #expect(third["structuredContent"]?["output"]?["method"] == "POST")
        let runID = try #require(third["_meta"]?[MCPProtocol.runIDKey]?.stringValue)

        let replay = await client.callTool("registry_execute", Self.arguments, extra: retried)
        #expect(replay?["error"]?["data"]?["reason"] == "request_state_replayed")
        #expect(!transcript.contains(Self.secret))
        let events = try client.host.service.run(id: runID).events
        #expect(!events.map(\.data.jsonText).joined().contains(Self.secret))
        #expect(events.contains { $0.type == .approvalGranted })
    }

    @Test func aCredentialTicketStoresOnlyTheNamesItAsksForAndNothingOnARefusal() async throws {
        let client = try MCPTestClient(capabilities: Self.eliciting)
        defer { client.remove() }
        let first = try #require(await client.callTool("registry_execute", Self.arguments)?["result"])
        let second = try #require(
            await client.callTool(
                "registry_execute", Self.arguments, extra: Self.retry(first["requestState"], "approval"))?[
                    "result"])
        let ticket = try Self.ticket(fromURL: second["inputRequests"]?["credentials"]?["params"]?["url"]?.stringValue)
        func field(_ values: [String: String]) -> JSONValue? {
            do {
                _ = try client.host.submitCredentials(ticket: ticket, values: values)
                return nil
            } catch { return error.details["field"] }
        }
        #expect(
            field(["WEBHOOK_SECRET": Self.secret, "AWS_SECRET_ACCESS_KEY": Self.secret]) == "AWS_SECRET_ACCESS_KEY")
        #expect(field([:]) == "WEBHOOK_SECRET")
        #expect(field(["WEBHOOK_SECRET": "nul\u{0}byte-and-more-text"]) == "WEBHOOK_SECRET")
        #expect(field(["WEBHOOK_SECRET": "abc"]) == "WEBHOOK_SECRET")
        #expect(try CredentialService(home: client.host.service.home).entries().filter { $0.scope != .system }.isEmpty)
        var forged = Array(ticket.utf8)
        forged[forged.count - 3] ^= 1
        #expect(throws: OmegaError.self) {
            try client.host.submitCredentials(
                ticket: String(decoding: forged, as: UTF8.self), values: ["WEBHOOK_SECRET": Self.secret])
        }
        // A request state is not a ticket, even though both are sealed with the same key.
        let state = try #require(first["requestState"]?.stringValue)
        #expect(throws: OmegaError.self) { try client.host.credentialRequest(ticket: state) }
        // After the refusals the genuine ticket still works, once.
        _ = try client.host.submitCredentials(ticket: ticket, values: ["WEBHOOK_SECRET": Self.secret])
        #expect(throws: OmegaError.self) {
            try client.host.submitCredentials(ticket: ticket, values: ["WEBHOOK_SECRET": Self.secret])
        }
    }

    @Test func forgedAlteredMisdirectedAndExpiredStatesAreRefused() async throws {
        let client = try MCPTestClient(capabilities: Self.eliciting)
        defer { client.remove() }
        let first = try #require(await client.callTool("registry_execute", Self.arguments)?["result"])
        let state = try #require(first["requestState"]?.stringValue)
        func reason(_ token: String, arguments: JSONValue = Self.arguments, client: MCPTestClient) async -> JSONValue? {
            await client.callTool("registry_execute", arguments, extra: Self.retry(.string(token), "approval"))?[
                "error"]?[
                    "data"]?["reason"]
        }
        #expect(
            await reason("ost1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", client: client)
                == "invalid_request_state")
        var altered = Array(state.utf8)
        altered[altered.count / 2] =
            altered[altered.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(await reason(String(decoding: altered, as: UTF8.self), client: client) == "invalid_request_state")
        var otherInput = Self.input.objectValue!
        otherInput["event"] = "order.deleted"
        let other: JSONValue = ["toolId": "notify.webhook_prepare", "input": .object(otherInput)]
        #expect(await reason(state, arguments: other, client: client) == "request_state_mismatch")
        let stranger = try MCPTestClient(
            capabilities: Self.eliciting, principal: "key:someone-else", shareHomeWith: client)
        #expect(await reason(state, client: stranger) == "request_state_mismatch")
        let expired = RequestState(
            kind: .approval, caller: "stdio:local", method: "tools/call",
            paramsDigest: RequestState.digest(of: ["name": "registry_execute", "arguments": Self.arguments]),
            runID: first["_meta"]?[MCPProtocol.runIDKey]?.stringValue ?? "run_x", expiresAtMs: 1)
        #expect(await reason(expired.sealed(with: client.host.sealer), client: client) == "request_state_expired")
        // After every refusal the run is still paused and the genuine state still works, once.
        let accepted = await client.callTool(
            "registry_execute", Self.arguments, extra: Self.retry(.string(state), "approval"))
        #expect(accepted?["result"]?["resultType"] == "input_required")
    }

    @Test func aClientThatCannotAnswerGetsTheMissingEnvVarsObjectAndCanPassEnv() async throws {
        let client = try MCPTestClient(capabilities: ["elicitation": ["form": [:]]])
        defer { client.remove() }
        let first = try #require(await client.callTool("registry_execute", Self.arguments)?["result"])
        let accepted = try #require(
            await client.callTool(
                "registry_execute", Self.arguments, extra: Self.retry(first["requestState"], "approval"))?[
                    "result"])
        #expect(accepted["isError"] == true)
        let error = try #require(accepted["structuredContent"])
        #expect(error["success"] == false && error["error"] == "Missing required environment variables")
        #expect(error["details"]?["code"] == "MISSING_ENV_VARS")
        #expect(error["details"]?["missingVars"]?.arrayValue?.first?["name"] == "WEBHOOK_SECRET")
        #expect(error["details"]?["hint"] == "Provide these variables in the 'env' field of your request")
        var withEnv = Self.arguments.objectValue!
        withEnv["env"] = ["WEBHOOK_SECRET": .string(Self.secret)]
        let second = try #require(await client.callTool("registry_execute", .object(withEnv))?["result"])
        // The approval was kept for this exact input, so the call runs straight through.
        #expect(second["isError"] == false, "\(second.jsonText)")
        #expect(!second.jsonText.contains(Self.secret))
    }

    @Test func aDeclinedApprovalCancelsTheRun() async throws {
        let client = try MCPTestClient(capabilities: Self.eliciting)
        defer { client.remove() }
        let first = try #require(await client.callTool("registry_execute", Self.arguments)?["result"])
        let runID = try #require(
            client.host.service.runner.store.runs().first?.id)
        let declined = try #require(
            await client.callTool(
                "registry_execute", Self.arguments,
                extra: Self.retry(first["requestState"], "approval", action: "decline"))?[
                    "result"])
        #expect(declined["isError"] == true)
        #expect(declined["structuredContent"]?["details"]?["code"] == "POLICY_DENIED")
        #expect(try client.host.service.runner.store.run(id: runID)?.status == .cancelled)
    }

    @Test func aLegacyClientIsAskedInlineAndTheCallCompletes() async throws {
        let asked = RecordingOutbound()
        let client = try MCPTestClient(answer: { request in
            asked.messages.withLock { $0.append(request) }
            return ["action": "accept", "content": [:]]
        })
        defer { client.remove() }
        _ = await client.call(
            "initialize", ["protocolVersion": "2025-11-25", "capabilities": ["elicitation": ["form": [:]]]],
            envelope: false)
        var withEnv = Self.arguments.objectValue!
        withEnv["env"] = ["WEBHOOK_SECRET": .string(Self.secret)]
        let reply = await client.call(
            "tools/call", ["name": "registry_execute", "arguments": .object(withEnv)], envelope: false)
        let result = try #require(reply?["result"])
        #expect(result["isError"] == false, "\(result.jsonText)")
        #expect(result["resultType"] == nil)
        let request = try #require(asked.messages.withLock { $0.first })
        #expect(request["method"] == "elicitation/create")
        #expect(request["params"]?["message"]?.stringValue?.contains("send_webhook") == true)
    }
}
