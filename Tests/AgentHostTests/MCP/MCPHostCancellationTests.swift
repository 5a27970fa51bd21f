import Foundation
import JSON
import RunStorage
import Service
import Synchronization
import TestSupport
import Testing
import ToolRuntime

@testable import AgentHost

/// Cancellation and progress over MCP: `notifications/cancelled` (or a closed connection) stops the
/// run and kills its jail; a progress token turns the run's events into `notifications/progress`.
@Suite(.serialized) struct MCPHostCancellationTests {
    /// Installs a tool that sleeps (its processes carry `marker`) and returns the client.
    static func clientWithSleeper(marker: String) throws -> MCPTestClient {
        let client = try MCPTestClient(label: "mcp-cancel")
        let folder = Fixture.package(
            in: client.root, id: "fixture.sleeper", script: "cat >/dev/null\nsleep 60\n", timeoutSeconds: 120,
            command: ["/bin/sh", "/tool/run.sh", marker])
        _ = try PackageService(home: client.host.service.home).install(
            folder, trustedKeys: nil, allowUnsigned: true, force: false)
        return client
    }

    /// Starts a call of the sleeper with a progress token; the task returns the reply (nil when cancelled).
    static func startSleeper(_ client: MCPTestClient, progressToken: String, id: Int64) -> Task<JSONValue?, Never> {
        Task {
            await client.callTool(
                "registry_execute", ["toolId": "fixture.sleeper", "input": [:]],
                extra: [
                    "_meta": [
                        MCPProtocol.protocolVersionKey: "2026-07-28", MCPProtocol.clientCapabilitiesKey: [:],
                        "progressToken": .string(progressToken),
                    ]
                ], id: id)
        }
    }

    /// Whether a `tool.started` progress notification arrived within `timeout` seconds.
    static func toolStarted(_ client: MCPTestClient, timeout: Double) async -> Bool {
        await OmegaCLI.poll(timeout: timeout) {
            client.outbound.messages.withLock { messages in
                messages.contains { $0["params"]?["message"]?.stringValue?.hasPrefix("tool.started") == true }
            }
        }
    }

    @Test func cancellingACallStopsTheRunAndKillsTheJail() async throws {
        let marker = "omega-mcp-cancel-\(UInt32.random(in: 0...UInt32.max))"
        let client = try Self.clientWithSleeper(marker: marker)
        defer { client.remove() }
        let call = Self.startSleeper(client, progressToken: "p1", id: 7)
        // On a loaded machine the jail may take a while to start: wait for the run's own word first.
        #expect(await Self.toolStarted(client, timeout: 90))
        #expect(await OmegaCLI.poll(timeout: 10) { !OmegaCLI.processes(matching: marker).isEmpty })
        let sent = Date()
        let cancel: JSONValue = ["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": 7]]
        _ = await client.host.receive(Array(cancel.jsonText.utf8), from: client.peer)
        let gone = await OmegaCLI.poll(timeout: 5) { OmegaCLI.processes(matching: marker).isEmpty }
        #expect(gone)
        print("notifications/cancelled → jail gone: \(Int(Date().timeIntervalSince(sent) * 1000)) ms (50 ms polling)")
        #expect(
            Date().timeIntervalSince(sent) < 1.0,
            "the jail outlived the cancellation by \(Date().timeIntervalSince(sent)) s")
        #expect(await call.value == nil, "a cancelled request gets no response")
        let run = try #require(try client.host.service.runner.store.runs().first)
        #expect(run.status == .cancelled)
        let progress = client.outbound.messages.withLock { $0 }.filter { $0["method"] == "notifications/progress" }
        #expect(!progress.isEmpty && progress.allSatisfy { $0["params"]?["progressToken"] == "p1" })
        let values = progress.compactMap { $0["params"]?["progress"]?.doubleValue }
        #expect(values == values.sorted())
        #expect(await client.call("ping")?["result"] != nil)
    }

    @Test func aClientThatGoesAwayHasItsCallsCancelled() async throws {
        let marker = "omega-mcp-gone-\(UInt32.random(in: 0...UInt32.max))"
        let client = try Self.clientWithSleeper(marker: marker)
        defer { client.remove() }
        let call = Self.startSleeper(client, progressToken: "p2", id: 8)
        #expect(await Self.toolStarted(client, timeout: 90))
        #expect(await OmegaCLI.poll(timeout: 10) { !OmegaCLI.processes(matching: marker).isEmpty })
        client.host.cancelAll(of: client.peer)
        #expect(await OmegaCLI.poll(timeout: 5) { OmegaCLI.processes(matching: marker).isEmpty })
        #expect(await call.value == nil)
        #expect(try client.host.service.runner.store.runs().first?.status == .cancelled)
    }
}
