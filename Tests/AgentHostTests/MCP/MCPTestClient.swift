import Foundation
import JSON
import Service
import Synchronization
import TestSupport
import ToolRuntime

@testable import AgentHost

/// A host over a fresh home and an in-process client of it: frames in, replies out, and every
/// message the host sent on the connection recorded (optionally answering its requests).
final class MCPTestClient: Sendable {
    let root: String
    let host: MCPHost
    let peer: MCPPeer
    let outbound: RecordingOutbound

    init(
        label: String = "mcp", capabilities: JSONValue = [:], principal: String = "stdio:local",
        credentialPage: String? = "http://127.0.0.1:9", pageSize: Int = 50,
        answer: (@Sendable (JSONValue) -> JSONValue?)? = nil, shareHomeWith other: MCPTestClient? = nil,
        workspacePolicy: String? = nil, credentialWaitMs: Int64 = 2_000
    ) throws {
        root = other?.root ?? Fixture.directory(label)
        var configuration = MCPHostConfiguration(credentialPageBaseURL: credentialPage)
        configuration.pageSize = pageSize
        configuration.credentialWaitMs = credentialWaitMs
        var runtime = RuntimeConfiguration(home: OmegaHome(root: root + "/home"))
        runtime.workspacePolicy = workspacePolicy
        host = try MCPHost.open(configuration: runtime, host: configuration)
        outbound = RecordingOutbound()
        peer = MCPPeer(caller: MCPCaller(principal: principal, user: "local"), transport: .stdio, outbound: outbound)
        self.capabilities = capabilities
        if let answer { outbound.answerer.withLock { $0 = (answer, host, peer) } }
    }

    let capabilities: JSONValue

    /// The `_meta` envelope of a 2026-07-28 request with this client's capabilities.
    var meta: JSONValue {
        [MCPProtocol.protocolVersionKey: "2026-07-28", MCPProtocol.clientCapabilitiesKey: capabilities]
    }

    /// Sends a request (the envelope added unless `envelope` is false) and returns the reply message.
    func call(_ method: String, _ params: [String: JSONValue] = [:], id: Int64 = 1, envelope: Bool = true) async
        -> JSONValue?
    {
        var params = params
        if envelope, params["_meta"] == nil { params["_meta"] = meta }
        let frame = JSONRPCMessage.requestFrame(id: .integer(id), method, .object(params))
        return await host.receive(Array(frame.jsonText.utf8), from: peer).message
    }

    /// Sends raw bytes.
    func send(_ text: String) async -> MCPReply { await host.receive(Array(text.utf8), from: peer) }

    /// `tools/call`.
    func callTool(_ name: String, _ arguments: JSONValue, extra: [String: JSONValue] = [:], id: Int64 = 1) async
        -> JSONValue?
    {
        var params = extra
        params["name"] = .string(name)
        params["arguments"] = arguments
        return await call("tools/call", params, id: id)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

/// Records what the host sends; answers its requests with `answerer` when set.
final class RecordingOutbound: MCPOutbound {
    let messages = Mutex<[JSONValue]>([])
    let answerer = Mutex<((@Sendable (JSONValue) -> JSONValue?), MCPHost, MCPPeer)?>(nil)

    func send(_ message: JSONValue) async -> Bool {
        messages.withLock { $0.append(message) }
        if message["method"] != nil, let id = message["id"], let (answer, host, peer) = answerer.withLock({ $0 }),
            let result = answer(message)
        {
            let response: JSONValue = ["jsonrpc": "2.0", "id": id, "result": result]
            Task { _ = await host.receive(Array(response.jsonText.utf8), from: peer) }
        }
        return true
    }
}
