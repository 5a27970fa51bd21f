import Access
import Audit
import Conversations
import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import Service
import TestSupport
import Testing
import ToolRuntime

@testable import Endpoint

/// The `/api` routes over a live loopback server: keys, limits, bodies, ids, and a conversation.
@Suite(.serialized) struct APIEndpointTests {
    typealias H = EndpointHarness

    static func auth(_ secret: String, _ extra: [String: String] = [:]) -> [String: String] {
        var headers = extra
        headers["Authorization"] = "Bearer " + secret
        return headers
    }

    @Test("Without a valid key every /api route is 401 with one body, and the refusal is audited")
    func keysAreRequired() async throws {
        let harness = H("api-keys")
        defer { harness.remove() }
        let key = try harness.key("alice", user: "alice")
        let revoked = try harness.key("old", user: "alice")
        _ = try KeyService(home: harness.home).revoke(id: revoked.id)
        try await harness.serveAPI { session, services in
            var bodies: Set<String> = []
            for headers in [
                [:], ["Authorization": "Bearer omx_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
                ["Authorization": "Bearer " + revoked.secret], ["Authorization": "Basic YWxpY2U6eA=="],
            ] {
                for (path, method) in [
                    ("/api/omega/conversations", HTTPRequest.Method.post), ("/api/tools?q=count", .get),
                    ("/api/status", .get), ("/api/runs/run_x", .get),
                ] {
                    let reply = try await session.request(path, method: method, headers: headers)
                    #expect(reply.status == .unauthorized, "\(path) \(headers)")
                    #expect(reply.headers[.wwwAuthenticate] == "Bearer")
                    #expect(try H.json(reply)["details"]?["code"] == "UNAUTHORIZED")
                    #expect(!reply.text.contains(revoked.secret))
                    if headers["Authorization"]?.hasPrefix("Bearer omx_") == true { bodies.insert(reply.text) }
                }
            }
            #expect(bodies.count == 1, "a wrong and a revoked key get the same answer: \(bodies)")
            let ok = try await session.request("/api/status", method: .get, headers: Self.auth(key.secret))
            #expect(try ok.status == .ok && H.json(ok)["status"] == "ok")
            services.auditQueue.flush()
            let records = try services.audit.recent(limit: 100)
            #expect(records.contains { $0.kind == .keyRefused })
            #expect(records.contains { $0.kind == .keyUse && $0.actor.keyID == key.id })
            #expect(!records.map(\.json.jsonText).joined().contains(key.secret))
        }
    }

    @Test("A key past its limit gets 429 with Retry-After; the event is logged, audited and counted")
    func rateLimitAnswers429() async throws {
        let harness = H("api-limit")
        defer { harness.remove() }
        let key = try harness.key("alice", user: "alice")
        let other = try harness.key("bob", user: "bob")
        try await harness.serveAPI(requestsPerMinute: 1, burst: 5) { session, services in
            var statuses: [HTTPResponse.Status] = []
            var retryAfter: String?
            for _ in 0..<8 {
                let reply = try await session.request("/api/status", method: .get, headers: Self.auth(key.secret))
                statuses.append(reply.status)
                if reply.status == .tooManyRequests {
                    retryAfter = reply.headers[.retryAfter]
                    #expect(try H.json(reply)["details"]?["code"] == "RATE_LIMITED")
                }
            }
            #expect(statuses.prefix(5).allSatisfy { $0 == .ok })
            #expect(statuses.suffix(3).allSatisfy { $0 == .tooManyRequests })
            // One token a minute: the next is back within 60 s.
            #expect(retryAfter.flatMap(Int.init).map { $0 >= 1 && $0 <= 60 } == true, "\(retryAfter ?? "nil")")
            // Another key is not affected.
            let bob = try await session.request("/api/status", method: .get, headers: Self.auth(other.secret))
            #expect(bob.status == .ok)
            #expect(
                try services.audit.recent(limit: 100).contains { $0.kind == .rateLimited && $0.actor.keyID == key.id })
            #expect(services.metrics.text().contains("omega_rate_limited_total 3"))
            #expect(try services.audit.verify().problem == nil)
        }
    }

    @Test("Bodies: over 1 MB is 413, malformed JSON and unknown fields are 400 naming the field")
    func badBodiesAreRefused() async throws {
        let harness = H("api-bodies")
        defer { harness.remove() }
        let key = try harness.key("alice", user: "alice")
        try await harness.serveAPI { session, _ in
            let json = Self.auth(key.secret, ["Content-Type": "application/json"])
            let big = "{\"title\": \"" + String(repeating: "a", count: (1 << 20) + 10) + "\"}"
            let tooLarge = try await session.request(
                "/api/omega/conversations", method: .post, headers: json, body: big)
            #expect(tooLarge.status == .contentTooLarge)
            #expect(try H.json(tooLarge)["details"]?["code"] == "PAYLOAD_TOO_LARGE")
            let malformed = try await session.request(
                "/api/omega/conversations", method: .post, headers: json, body: "{\"title\": ")
            #expect(try malformed.status == .badRequest && H.json(malformed)["details"]?["field"] == "body")
            let unknown = try await session.request(
                "/api/omega/conversations", method: .post, headers: json, body: "{\"title\": \"x\", \"owner\": \"bob\"}"
            )
            #expect(try unknown.status == .badRequest && H.json(unknown)["details"]?["field"] == "owner")
            let wrongType = try await session.request(
                "/api/omega/conversations", method: .post, headers: json, body: "{\"title\": 7}")
            #expect(try wrongType.status == .badRequest && H.json(wrongType)["details"]?["field"] == "title")
            // Still serving.
            let created = try await session.request(
                "/api/omega/conversations", method: .post, headers: json, body: "{}")
            #expect(created.status == .created)
        }
    }

    @Test("Ids that escape their folder or are not ids are 404; nothing is read")
    func hostileIdsAreNotFound() async throws {
        let harness = H("api-ids")
        defer { harness.remove() }
        let key = try harness.key("alice", user: "alice")
        try await harness.serveAPI { session, _ in
            for path in [
                "/api/runs/..%2F..%2Fetc%2Fpasswd", "/api/runs/%2e%2e", "/api/runs/run_01%00x",
                "/api/omega/conversations/..%2F..%2Faccess.sqlite", "/api/omega/conversations/not-a-uuid",
                "/api/omega/conversations/" + UUID().uuidString.lowercased(),
                "/api/omega/conversations/" + UUID().uuidString.lowercased() + "/export?format=md",
            ] {
                let reply = try await session.request(path, method: .get, headers: Self.auth(key.secret))
                #expect(reply.status == .notFound, "\(path): \(reply.status)")
                #expect(!reply.text.contains("root:") && !reply.text.contains("SQLite"))
            }
            let bad = try await session.request(
                "/api/omega/conversations/" + UUID().uuidString.lowercased() + "/events", method: .get,
                headers: Self.auth(key.secret, ["Last-Event-ID": "1\r\nX: y"]))
            #expect(bad.status == .badRequest || bad.status == .notFound)
        }
    }

    @Test("A conversation over HTTP: the message streams as SSE with consecutive ids; another user's key may post")
    func conversationStreamsOverHTTP() async throws {
        let harness = H("api-conversation")
        defer { harness.remove() }
        let alice = try harness.key("alice", user: "alice")
        let bob = try harness.key("bob", user: "bob")
        try await harness.serveAPI { session, services in
            let json = Self.auth(alice.secret, ["Content-Type": "application/json"])
            let created = try await session.request(
                "/api/omega/conversations", method: .post, headers: json, body: "{}")
            let id = try #require(try H.json(created)["id"]?.stringValue)
            #expect(created.headers[.location] == "/api/omega/conversations/\(id)")
            let reply = try await session.request(
                "/api/omega/conversations/\(id)/messages", method: .post,
                headers: Self.auth(bob.secret, ["Content-Type": "application/json", "Accept": "text/event-stream"]),
                body: "{\"content\": \"Count the words in: one two three\"}")
            #expect(reply.status == .ok && reply.headers[.contentType] == "text/event-stream")
            let ids = reply.text.split(separator: "\n").filter { $0.hasPrefix("id: ") }.compactMap {
                Int64($0.dropFirst(4))
            }
            #expect(ids.first == 1 && zip(ids, ids.dropFirst()).allSatisfy { $1 == $0 + 1 })
            #expect(reply.text.contains("event: tool.finished") && reply.text.hasSuffix("\n\n"))
            #expect(reply.text.contains("event: message.completed"))
            let detail = try services.conversations.detail(id: id)
            let runID = try #require(detail.toolCalls.first?.runID)
            #expect(try services.service.run(id: runID).record.user == "alice")
            // Bob sees the conversation's run; the events resume after an id.
            let events = try await session.request(
                "/api/runs/\(runID)/events", method: .get, headers: Self.auth(bob.secret, ["Last-Event-ID": "2"]))
            let runIDs = events.text.split(separator: "\n").filter { $0.hasPrefix("id: ") }.compactMap {
                Int64($0.dropFirst(4))
            }
            #expect(runIDs.first == 3)
            let exported = try await session.request(
                "/api/omega/conversations/\(id)/export?format=pdf", method: .get, headers: Self.auth(bob.secret))
            #expect(try exported.status == .badRequest && H.json(exported)["details"]?["field"] == "format")
            #expect(services.metrics.text().contains("omega_http_requests_total"))
        }
    }

    @Test("Every error code has exactly one HTTP status, and the statuses are the documented ones")
    func errorCodesMapToOneStatus() {
        let allowed: Set<Int> = [400, 401, 403, 404, 409, 413, 429, 499, 500, 503, 504]
        for code in OmegaError.Code.allCases {
            #expect(allowed.contains(code.httpStatus), "\(code): \(code.httpStatus)")
        }
        #expect(OmegaError.Code.notFound.httpStatus == 404 && OmegaError.Code.payloadTooLarge.httpStatus == 413)
    }
}
