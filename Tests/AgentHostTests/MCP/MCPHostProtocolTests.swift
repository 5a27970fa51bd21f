import Foundation
import JSON
import Service
import TestSupport
import Testing
import ToolRuntime

@testable import AgentHost

/// The JSON-RPC / MCP surface of the host: both revisions' envelopes, discovery, listing with
/// cursors, and the errors each bad request gets (the host keeps serving after every one).
@Suite(.serialized) struct MCPHostProtocolTests {
    @Test func aRequestWithoutTheEnvelopeIsInvalidParams() async throws {
        let client = try MCPTestClient()
        defer { client.remove() }
        let reply = await client.call("tools/list", envelope: false)
        #expect(reply?["error"]?["code"] == .integer(JSONRPCError.invalidParams))
        #expect(reply?["error"]?["data"]?["reason"] == "missing_envelope")
        let half = await client.call(
            "tools/list", ["_meta": [MCPProtocol.protocolVersionKey: "2026-07-28"]], envelope: false)
        #expect(half?["error"]?["code"] == .integer(JSONRPCError.invalidParams))
        #expect(await client.call("ping")?["result"] != nil)
    }

    @Test func anUnknownVersionIsRefusedWithTheSupportedOnes() async throws {
        let client = try MCPTestClient()
        defer { client.remove() }
        let meta: JSONValue = [MCPProtocol.protocolVersionKey: "2099-01-01", MCPProtocol.clientCapabilitiesKey: [:]]
        let reply = await client.call("server/discover", ["_meta": meta], envelope: false)
        #expect(reply?["error"]?["code"] == .integer(JSONRPCError.unsupportedProtocolVersion))
        let supported = reply?["error"]?["data"]?["supported"]?.arrayValue ?? []
        #expect(supported.contains("2026-07-28") && supported.contains("2025-11-25"))
        #expect(reply?["error"]?["data"]?["requested"] == "2099-01-01")
    }

    @Test func discoveryCarriesResultTypeLifetimeAndCacheScope() async throws {
        let client = try MCPTestClient()
        defer { client.remove() }
        let result = try #require(await client.call("server/discover")?["result"])
        #expect(result["resultType"] == "complete")
        #expect(result["cacheScope"] == "public")
        #expect(result["ttlMs"]?.doubleValue ?? -1 >= 0)
        #expect(result["supportedVersions"]?.arrayValue?.first == "2026-07-28")
        #expect(result["capabilities"]?["tools"] != nil)
    }

    @Test func initializeOpensALegacySessionWhoseResultsHaveNoResultType() async throws {
        let client = try MCPTestClient()
        defer { client.remove() }
        let initialize = await client.call(
            "initialize",
            ["protocolVersion": "2025-11-25", "capabilities": [:], "clientInfo": ["name": "t", "version": "1"]],
            envelope: false)
        #expect(initialize?["result"]?["protocolVersion"] == "2025-11-25")
        let list = try #require(await client.call("tools/list", envelope: false)?["result"])
        #expect(list["resultType"] == nil)
        #expect(list["tools"]?.arrayValue?.count == 3)
        // An unknown revision in initialize gets the newest handshake revision.
        let old = await client.call(
            "initialize", ["protocolVersion": "1999-01-01", "capabilities": [:]], envelope: false)
        #expect(old?["result"]?["protocolVersion"] == "2025-11-25")
    }

    @Test func listingPagesWithACursorAndOffersPinnedToolsWithTheirSchemas() async throws {
        let client = try MCPTestClient(pageSize: 2)
        defer { client.remove() }
        for id in ["text.stats", "data.json_query", "text.regex_extract"] {
            _ = try client.host.registry.pin(id, user: "local")
        }
        var names: [String] = []
        var cursor: JSONValue?
        var pages = 0
        repeat {
            var params: [String: JSONValue] = [:]
            if let cursor { params["cursor"] = cursor }
            let result = try #require(await client.call("tools/list", params)?["result"])
            #expect(result["cacheScope"] == "private")
            names += (result["tools"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            cursor = result["nextCursor"]
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 3)
        #expect(names == names.sorted() && Set(names).count == names.count && names.count == 6)
        let all = try #require(
            await MCPTestClient(pageSize: 50, shareHomeWith: client).call("tools/list")?["result"]?["tools"]?.arrayValue
        )
        let stats = try #require(all.first { $0["name"] == "text.stats" })
        #expect(stats["inputSchema"]?["type"] == "object")
        #expect(stats["annotations"]?["readOnlyHint"] == true)
        let bad = await client.call("tools/list", ["cursor": "not-a-cursor!"])
        #expect(bad?["error"]?["data"]?["reason"] == "bad_cursor")
    }

    @Test func malformedFramesGetStableErrorsAndTheHostKeepsServing() async throws {
        let client = try MCPTestClient()
        defer { client.remove() }
        #expect((await client.send("{not json")).message?["error"]?["code"] == .integer(JSONRPCError.parseError))
        #expect((await client.send("[1,2]")).message?["error"]?["code"] == .integer(JSONRPCError.invalidRequest))
        #expect(
            (await client.send(#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#)).message?["error"]?["code"]
                == .integer(JSONRPCError.invalidRequest))
        let unknown = await client.call("resources/list")
        #expect(unknown?["error"]?["code"] == .integer(JSONRPCError.methodNotFound))
        let notOffered = await client.callTool("no.such_tool", [:])
        #expect(notOffered?["error"]?["data"]?["reason"] == "unknown_tool")
        let oversized = await client.host.receive(
            Array(repeating: UInt8(ascii: " "), count: 10 << 20), from: client.peer)
        #expect(oversized.httpStatus == 413 && oversized.message?["error"]?["data"]?["reason"] == "frame_too_large")
        #expect(await client.call("ping")?["result"] != nil)
    }

    @Test func aPathIsNeverRunAndABadInputIsAToolError() async throws {
        let client = try MCPTestClient()
        defer { client.remove() }
        let path = await client.callTool("registry_execute", ["toolId": "/etc", "input": [:]])
        #expect(path?["result"]?["isError"] == true)
        #expect(path?["result"]?["structuredContent"]?["details"]?["field"] == "toolId")
        let bad = await client.callTool("registry_execute", ["toolId": "text.stats", "input": ["text": 42]])
        #expect(bad?["result"]?["isError"] == true)
        #expect(bad?["result"]?["structuredContent"]?["details"]?["code"] == "INVALID_INPUT")
        let extra = await client.callTool("registry_execute", ["toolId": "text.stats", "sneaky": true])
        #expect(extra?["result"]?["structuredContent"]?["details"]?["field"] == "sneaky")
    }

    @Test func aStarterToolRunsWithItsRunIDAndVerdict() async throws {
        let client = try MCPTestClient()
        defer { client.remove() }
        let result = try #require(
            await client.callTool("registry_execute", ["toolId": "text.stats", "input": ["text": "one two three"]])?[
                "result"])
        #expect(result["isError"] == false, "\(result.jsonText)")
        #expect(result["structuredContent"]?["output"]?["words"] == 3)
        #expect(result["_meta"]?[MCPProtocol.runIDKey]?.stringValue?.hasPrefix("run_") == true)
        #expect(result["_meta"]?[MCPProtocol.verdictKey]?["status"] == "ok")
    }
}
