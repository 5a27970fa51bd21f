import Foundation
import JSON
import Service
import TestSupport
import Testing
import ToolRuntime

@testable import AgentHost

/// What one caller can make the host hold, and races between a call and its cancellation.
@Suite(.serialized) struct MCPHostLimitsTests {
    static func httpPeer(_ client: MCPTestClient, principal: String, session: String? = nil) -> MCPPeer {
        var headers: [String: String] = [:]
        if let session { headers["mcp-session-id"] = session }
        return MCPPeer(
            caller: MCPCaller(principal: principal, user: "local"), transport: .http(headers: headers), outbound: nil)
    }

    static func initialize(_ client: MCPTestClient, principal: String, capabilities: JSONValue = [:]) async -> String? {
        let frame = JSONRPCMessage.requestFrame(
            id: .integer(1), "initialize", ["protocolVersion": "2025-11-25", "capabilities": capabilities])
        return await client.host.receive(Array(frame.jsonText.utf8), from: httpPeer(client, principal: principal))
            .sessionID
    }

    @Test func oneCallerCannotPushOutAnothersSessionsNorMakeThemLarge() async throws {
        let client = try MCPTestClient()
        defer { client.remove() }
        let alice = try #require(await Self.initialize(client, principal: "key:alice"))
        let huge: JSONValue = [
            "experimental": ["x": .string(String(repeating: "a", count: 1 << 20))], "elicitation": [:],
        ]
        for _ in 0..<(MCPHost.sessionsPerPrincipal + 8) {
            _ = await Self.initialize(client, principal: "key:bob", capabilities: huge)
        }
        let held = client.host.sessions.withLock { $0 }
        #expect(held.values.filter { $0.principal == "key:bob" }.count == MCPHost.sessionsPerPrincipal)
        #expect(held.values.allSatisfy { $0.capabilities.jsonText.utf8.count < 64 })
        let list = JSONRPCMessage.requestFrame(id: .integer(2), "tools/list", [:])
        let reply = await client.host.receive(
            Array(list.jsonText.utf8), from: Self.httpPeer(client, principal: "key:alice", session: alice))
        #expect(reply.message?["result"]?["tools"] != nil, "\(reply.message?.jsonText ?? "")")
        // Another caller cannot use Alice's session.
        let stolen = await client.host.receive(
            Array(list.jsonText.utf8), from: Self.httpPeer(client, principal: "key:bob", session: alice))
        #expect(stolen.httpStatus == 404)
    }

    @Test func longRequestIDsAreRefused() async throws {
        let client = try MCPTestClient()
        defer { client.remove() }
        let id = String(repeating: "x", count: JSONRPCID.maximumBytes + 1)
        let reply = await client.send(#"{"jsonrpc":"2.0","id":"\#(id)","method":"ping"}"#)
        #expect(reply.message?["error"]?["data"]?["reason"] == "bad_id")
        let cancel = await client.send(
            #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"\#(id)"}}"#)
        #expect(cancel.message == nil)
        #expect(client.host.earlyCancellations.withLock { $0.isEmpty })
    }

    @Test func aCancellationThatOvertakesItsCallStillCancelsIt() async throws {
        let client = try MCPTestClient()
        defer { client.remove() }
        let cancel: JSONValue = ["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": 9]]
        _ = await client.host.receive(Array(cancel.jsonText.utf8), from: client.peer)
        let reply = await client.callTool(
            "registry_execute", ["toolId": "text.stats", "input": ["text": "a b"]], id: 9)
        #expect(reply == nil)
        #expect(try client.host.service.runner.store.runs().isEmpty)
        // The same id afterwards is a new call.
        let again = await client.callTool(
            "registry_execute", ["toolId": "text.stats", "input": ["text": "a b"]], id: 9)
        #expect(again?["result"]?["isError"] == false)
    }

    @Test func acceptingTheCredentialLinkWaitsForTheValuesBeforeResuming() async throws {
        let client = try MCPTestClient(capabilities: MCPHostPauseTests.eliciting, credentialWaitMs: 10_000)
        defer { client.remove() }
        let withEnvLess = MCPHostPauseTests.arguments
        let first = try #require(await client.callTool("registry_execute", withEnvLess)?["result"])
        let second = try #require(
            await client.callTool(
                "registry_execute", withEnvLess, extra: MCPHostPauseTests.retry(first["requestState"], "approval"))?[
                    "result"])
        let url = second["inputRequests"]?["credentials"]?["params"]?["url"]?.stringValue
        let ticket = try MCPHostPauseTests.ticket(fromURL: url)
        // The person enters the value a moment after the client accepted the link.
        let host = client.host
        Task {
            try? await Task.sleep(for: .milliseconds(600))
            _ = try? host.submitCredentials(ticket: ticket, values: ["WEBHOOK_SECRET": MCPHostPauseTests.secret])
        }
        let started = Date()
        let third = try #require(
            await client.callTool(
                "registry_execute", withEnvLess, extra: MCPHostPauseTests.retry(second["requestState"], "credentials"))?[
                    "result"])
        #expect(third["isError"] == false, "\(third.jsonText)")
        #expect(Date().timeIntervalSince(started) >= 0.5)
    }

    @Test func anAcceptedLinkNobodyFilledPausesAgain() async throws {
        let client = try MCPTestClient(capabilities: MCPHostPauseTests.eliciting, credentialWaitMs: 300)
        defer { client.remove() }
        let arguments = MCPHostPauseTests.arguments
        let first = try #require(await client.callTool("registry_execute", arguments)?["result"])
        let second = try #require(
            await client.callTool(
                "registry_execute", arguments, extra: MCPHostPauseTests.retry(first["requestState"], "approval"))?[
                    "result"])
        let third = try #require(
            await client.callTool(
                "registry_execute", arguments, extra: MCPHostPauseTests.retry(second["requestState"], "credentials"))?[
                    "result"])
        #expect(third["resultType"] == "input_required", "\(third.jsonText)")
        #expect(third["inputRequests"]?["credentials"] != nil)
    }
}
