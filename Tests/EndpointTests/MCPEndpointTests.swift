import AgentHost
import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import Service
import TestSupport
import Testing

@testable import Endpoint

/// `POST /mcp` over a real loopback connection: the HTTP checks before a frame reaches the host, the
/// two revisions' envelopes, JSON and SSE replies, and cancellation when the client hangs up.
@Suite(.serialized) struct MCPEndpointTests {
    typealias H = EndpointHarness

    @Test func requestsWithoutAValidKeyAre401AndRunNothing() async throws {
        let harness = H("endpoint-auth")
        defer { harness.remove() }
        let revoked = try harness.key("revoked")
        try KeyService(home: harness.home).revoke(id: revoked.id)
        let valid = try harness.key("valid")
        let wrong = "omx_" + valid.id.dropFirst(4) + "_" + String(repeating: "A", count: 43)
        try await harness.serve { session in
            let call = H.modern(
                id: 1, "tools/call",
                ["name": "registry_execute", "arguments": ["toolId": "text.stats", "input": ["text": "a b"]]])
            for (label, key, raw) in [
                ("no key", nil, nil), ("wrong key", wrong, nil), ("revoked key", revoked.secret, nil),
                ("malformed", nil, "Basic dXNlcjpwYXNz"), ("two tokens", nil, "Bearer a b"),
            ] as [(String, String?, String?)] {
                var headers = H.modernHeaders
                if let raw { headers["Authorization"] = raw }
                let response = try await session.mcp(call, key: key, headers: headers)
                #expect(response.status == .unauthorized, "\(label)")
                #expect(response.headers[.wwwAuthenticate] == "Bearer", "\(label)")
                let body = try H.json(response)
                #expect(body["error"]?["code"] == -32600, "\(label)")
                #expect(body["error"]?["data"]?["reason"] == "unauthorized", "\(label)")
                #expect(body["error"]?["data"]?["error"]?["details"]?["code"] == "UNAUTHORIZED", "\(label)")
                #expect(body["id"] == .null)
                let text = H.text(response)
                for secret in [wrong, revoked.secret, "dXNlcjpwYXNz"] { #expect(!text.contains(secret), "\(label)") }
            }
            #expect(try session.runs().isEmpty)
        }
    }

    @Test func aForeignOriginIs403AndTheServersOwnOriginsPass() async throws {
        let harness = H("endpoint-origin")
        defer { harness.remove() }
        let key = try harness.key()
        try await harness.serve { session in
            let discover = H.modern(id: 1, "server/discover")
            for origin in ["http://evil.example", "null", "http://127.0.0.1:1", "https://localhost:\(session.port)"] {
                var headers = H.modernHeaders
                headers["Origin"] = origin
                let response = try await session.mcp(discover, key: key.secret, headers: headers)
                #expect(response.status == .forbidden, "\(origin)")
                #expect(try H.json(response)["error"]?["data"]?["reason"] == "forbidden_origin")
            }
            for origin in [
                "http://127.0.0.1:\(session.port)", "http://localhost:\(session.port)", "http://[::1]:\(session.port)",
                "https://app.example.com", "HTTPS://APP.example.com:443",
            ] {
                var headers = H.modernHeaders
                headers["Origin"] = origin
                let response = try await session.mcp(discover, key: key.secret, headers: headers)
                #expect(response.status == .ok, "\(origin)")
            }
            // Refused before authentication: a foreign page learns nothing about keys.
            let noKey = try await session.mcp(discover, key: nil, headers: ["Origin": "http://evil.example"])
            #expect(noKey.status == .forbidden)
        }
    }

    @Test func wrongContentTypeIs415AndUnacceptableAcceptIs406() async throws {
        let harness = H("endpoint-media")
        defer { harness.remove() }
        let key = try harness.key()
        try await harness.serve { session in
            let body = H.modern(id: 1, "server/discover").jsonText
            for type in [nil, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"] as [String?] {
                let response = try await session.mcp(body, key: key.secret, contentType: type, headers: H.modernHeaders)
                #expect(response.status == .unsupportedMediaType, "\(type ?? "none")")
                #expect(try H.json(response)["error"]?["data"]?["reason"] == "unsupported_media_type")
            }
            let withCharset = try await session.mcp(
                body, key: key.secret, contentType: "Application/JSON; charset=utf-8", headers: H.modernHeaders)
            #expect(withCharset.status == .ok)
            for accept in ["text/html", "application/json;q=0, text/event-stream;q=0", "image/*"] {
                let response = try await session.mcp(body, key: key.secret, accept: accept, headers: H.modernHeaders)
                #expect(response.status == .notAcceptable, "\(accept)")
            }
            for accept in ["*/*", "application/*", "application/json"] {
                let response = try await session.mcp(body, key: key.secret, accept: accept, headers: H.modernHeaders)
                #expect(response.status == .ok, "\(accept)")
                #expect(response.headers[.contentType] == "application/json")
            }
            // Only SSE accepted: even a plain reply comes as one event.
            let events = try await session.mcp(
                body, key: key.secret, accept: "text/event-stream", headers: H.modernHeaders)
            #expect(events.status == .ok)
            #expect(events.headers[.contentType] == "text/event-stream")
            #expect(try H.events(H.text(events)).first?["result"]?["supportedVersions"] != nil)
        }
    }

    @Test func aBodyOverFourMiBIs413WithoutBeingBuffered() async throws {
        let harness = H("endpoint-size")
        defer { harness.remove() }
        let key = try harness.key()
        try await harness.serve { session in
            let padding = String(repeating: " ", count: 5 << 20)
            let big = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}" + padding
            let response = try await session.mcp(big, key: key.secret, headers: H.modernHeaders)
            #expect(response.status == .contentTooLarge)
            let error = try H.json(response)["error"]
            #expect(error?["data"]?["reason"] == "frame_too_large")
            #expect(error?["data"]?["limit"] == .integer(Int64(4 << 20)))

            // Chunked (no Content-Length): refused once the count passes the limit, while still sending.
            let connection = try RawHTTPConnection(port: session.port)
            let head =
                "POST /mcp HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(key.secret)\r\n"
                + "Content-Type: application/json\r\nAccept: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            #expect(await connection.write(head))
            let chunk = Array("100000\r\n".utf8) + [UInt8](repeating: 0x20, count: 0x100000) + Array("\r\n".utf8)
            let writer = Task {
                for _ in 0..<5 where await connection.write(chunk) {}
                _ = await connection.write("0\r\n\r\n")
            }
            let answer = await connection.read(timeout: 20) { $0.contains("\"frame_too_large\"") }
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(300))")
            await writer.value
            connection.close()

            // The server still serves.
            let ping = try await session.mcp(H.modern(id: 2, "ping"), key: key.secret, headers: H.modernHeaders)
            #expect(ping.status == .ok)
        }
    }

    @Test func malformedJSONIs400WithParseError() async throws {
        let harness = H("endpoint-parse")
        defer { harness.remove() }
        let key = try harness.key()
        try await harness.serve { session in
            for body in ["{not json", "", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"", "\u{FEFF}[1,"] {
                let response = try await session.mcp(body, key: key.secret, headers: H.modernHeaders)
                #expect(response.status == .badRequest, "\(body)")
                #expect(try H.json(response)["error"]?["code"] == -32700, "\(body)")
            }
            let batch = try await session.mcp("[]", key: key.secret, headers: H.modernHeaders)
            #expect(batch.status == .badRequest)
            #expect(try H.json(batch)["error"]?["code"] == -32600)
        }
    }

    @Test func modernDiscoverNeedsAMatchingProtocolVersionHeader() async throws {
        let harness = H("endpoint-discover")
        defer { harness.remove() }
        let key = try harness.key()
        try await harness.serve { session in
            let discover = H.modern(id: 7, "server/discover")
            let ok = try await session.mcp(discover, key: key.secret, headers: H.modernHeaders)
            #expect(ok.status == .ok)
            let result = try H.json(ok)
            #expect(result["id"] == 7)
            #expect(result["result"]?["supportedVersions"]?.arrayValue?.contains("2026-07-28") == true)
            #expect(ok.headers[.mcpSessionID] == nil)

            for headers in [["MCP-Protocol-Version": "2025-11-25"], [:]] {
                let mismatch = try await session.mcp(discover, key: key.secret, headers: headers)
                #expect(mismatch.status == .badRequest)
                #expect(try H.json(mismatch)["error"]?["code"] == -32020)
            }
        }
    }

    @Test func legacyInitializeOpensASessionThatLaterRequestsUse() async throws {
        let harness = H("endpoint-legacy")
        defer { harness.remove() }
        let key = try harness.key()
        let other = try harness.key("other")
        try await harness.serve { session in
            let initialize: JSONValue = [
                "jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": [
                    "protocolVersion": "2025-11-25", "capabilities": [:],
                    "clientInfo": ["name": "legacy", "version": "1"],
                ],
            ]
            let opened = try await session.mcp(initialize, key: key.secret)
            #expect(opened.status == .ok)
            let sessionID = try #require(opened.headers[.mcpSessionID])
            #expect(try H.json(opened)["result"]?["protocolVersion"] == "2025-11-25")
            let headers = ["Mcp-Session-Id": sessionID, "MCP-Protocol-Version": "2025-11-25"]

            let initialized = try await session.mcp(
                ["jsonrpc": "2.0", "method": "notifications/initialized"] as JSONValue, key: key.secret,
                headers: headers)
            #expect(initialized.status == .accepted)
            #expect(initialized.text.isEmpty)

            let list = try await session.mcp(
                ["jsonrpc": "2.0", "id": 2, "method": "tools/list"] as JSONValue, key: key.secret, headers: headers)
            #expect(list.status == .ok)
            let names = try H.json(list)["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("registry_execute") && names.contains("registry_search"))

            let unknown = try await session.mcp(
                ["jsonrpc": "2.0", "id": 3, "method": "tools/list"] as JSONValue, key: key.secret,
                headers: ["Mcp-Session-Id": "not-a-session"])
            #expect(unknown.status == .notFound)
            // Another key cannot borrow the session.
            let borrowed = try await session.mcp(
                ["jsonrpc": "2.0", "id": 4, "method": "tools/list"] as JSONValue, key: other.secret, headers: headers)
            #expect(borrowed.status == .notFound)
            // A call refused at once keeps its status even when the client accepts a stream.
            let refusedCall = try await session.mcp(
                ["jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": ["name": "registry_search"]] as JSONValue,
                key: key.secret, headers: ["Mcp-Session-Id": "gone"])
            #expect(refusedCall.status == .notFound)
            #expect(refusedCall.headers[.contentType] == "application/json")
        }
    }

    @Test func aStreamedToolCallSendsProgressThenTheResult() async throws {
        let harness = H("endpoint-sse")
        defer { harness.remove() }
        let key = try harness.key()
        try await harness.serve { session in
            let call = H.modern(
                id: 8, "tools/call",
                ["name": "registry_execute", "arguments": ["toolId": "text.stats", "input": ["text": "a b c"]]],
                progressToken: "p-8")
            let response = try await session.mcp(call, key: key.secret, headers: H.modernHeaders)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(response.headers[.connection] == "close")
            let messages = try H.events(H.text(response))
            let progress = messages.dropLast()
            #expect(progress.count >= 3, "\(messages)")
            #expect(
                progress.allSatisfy {
                    $0["method"] == "notifications/progress" && $0["params"]?["progressToken"] == "p-8"
                })
            let values = progress.compactMap { $0["params"]?["progress"]?.doubleValue }
            #expect(values == values.sorted() && Set(values).count == values.count)
            #expect(progress.contains { $0["params"]?["message"] == "tool.started" })
            let result = try #require(messages.last)
            #expect(result["id"] == 8)
            #expect(result["result"]?["isError"] == false, "\(result.jsonText)")
            #expect(result["result"]?["structuredContent"]?["output"]?["words"] == 3, "\(result.jsonText)")
            #expect(try session.runs().map(\.status) == ["completed"])

            // Without SSE in Accept the same call is one JSON body.
            let plain = try await session.mcp(
                H.modern(
                    id: 9, "tools/call",
                    ["name": "registry_execute", "arguments": ["toolId": "text.stats", "input": ["text": "x"]]],
                    progressToken: "p-9"), key: key.secret, accept: "application/json", headers: H.modernHeaders)
            #expect(plain.status == .ok)
            #expect(plain.headers[.contentType] == "application/json")
            #expect(try H.json(plain)["result"]?["isError"] == false)
        }
    }

    /// The client hangs up mid-call, on an SSE response and on a plain JSON one: the run is recorded
    /// cancelled and its jail is gone.
    @Test(arguments: ["application/json, text/event-stream", "application/json"])
    func closingTheConnectionCancelsTheRunAndKillsTheJail(accept: String) async throws {
        let harness = H("endpoint-hangup")
        defer { harness.remove() }
        let key = try harness.key()
        try harness.installSleeper(seconds: 31)
        try await harness.serve { session in
            let call = H.modern(
                id: 1, "tools/call",
                ["name": "registry_execute", "arguments": ["toolId": "fixture.sleeper", "input": [:]]],
                progressToken: "p")
            let body = call.jsonText
            let connection = try RawHTTPConnection(port: session.port)
            #expect(
                await connection.write(
                    "POST /mcp HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(key.secret)\r\n"
                        + "Content-Type: application/json\r\nAccept: \(accept)\r\n"
                        + "MCP-Protocol-Version: 2026-07-28\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body))
            if accept.contains("text/event-stream") {
                let seen = await connection.read(timeout: 20) { $0.contains("tool.started") }
                #expect(seen.hasPrefix("HTTP/1.1 200") && seen.contains("text/event-stream"), "\(seen.prefix(400))")
            }
            #expect(await OmegaCLI.poll(timeout: 20) { !OmegaCLI.processes(matching: "sleep 31").isEmpty })
            #expect(try session.runs().first?.status == "running")

            let closedAt = Date()
            connection.close()
            let cancelled = await OmegaCLI.poll(timeout: 5) {
                (try? session.runs().first?.status) == "cancelled"
            }
            let seconds = Date().timeIntervalSince(closedAt)
            #expect(cancelled, "the run is still \(String(describing: try? session.runs().first?.status))")
            #expect(seconds < 1.5, "cancelled \(seconds) s after the client hung up")
            print("[\(accept)] run recorded cancelled \(Int(seconds * 1000)) ms after the client closed the connection")
            #expect(await OmegaCLI.poll(timeout: 5) { OmegaCLI.processes(matching: "sleep 31").isEmpty })
        }
    }

    @Test func getAndDeleteOnMCPAre405AndHealthzAnswers() async throws {
        let harness = H("endpoint-methods")
        defer { harness.remove() }
        try await harness.serve { session in
            for method in [HTTPRequest.Method.get, .delete] {
                let response = try await session.request("/mcp", method: method)
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST")
            }
            let health = try await session.request("/healthz", method: .get)
            #expect(health.status == .ok)
            #expect(try H.json(health) == ["status": "ok"])
        }
    }

    @Test func headerInjectionAttemptsAreRefusedWithoutHarm() async throws {
        let harness = H("endpoint-headers")
        defer { harness.remove() }
        let key = try harness.key()
        try await harness.serve { session in
            let attempts = [
                "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Evil: a\rInjected: b\r\n\r\n",
                "POST /mcp HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(key.secret)\rX-Other: 1\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
                "POST /mcp HTTP/1.1\r\nHost: localhost\r\nMcp-Session-Id: abc\nSet-Cookie: x=1\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
                "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Nul: a\u{0}b\r\n\r\n",
                "GET /healthz HTTP/1.1\r\nHost: localhost\r\n folded: continuation\r\n\r\n",
            ]
            for attempt in attempts {
                let connection = try RawHTTPConnection(port: session.port)
                _ = await connection.write(attempt)
                let answer = await connection.read(timeout: 5) { $0.contains("\r\n\r\n") }
                connection.close()
                #expect(!answer.lowercased().contains("set-cookie"), "\(answer)")
                #expect(!answer.contains("Injected"), "\(answer)")
                #expect(!answer.hasPrefix("HTTP/1.1 200") || !attempt.contains("/mcp"), "\(answer)")
            }
            let health = try await session.request("/healthz", method: .get)
            #expect(health.status == .ok)
            #expect(try session.runs().isEmpty)
        }
    }
}
