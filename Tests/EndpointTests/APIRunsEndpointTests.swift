import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import Service
import TestSupport
import Testing
import ToolRuntime

@testable import Endpoint

/// What the console reads besides conversations: who a key is, a user's runs a page at a time, and the
/// files a run left, each seen only by the keys that may see the run.
@Suite(.serialized) struct APIRunsEndpointTests {
    typealias H = EndpointHarness

    static func auth(_ secret: String) -> [String: String] { ["Authorization": "Bearer " + secret] }

    @Test func meNamesTheKeysUserAndNeverItsSecret() async throws {
        let harness = H("api-me")
        defer { harness.remove() }
        let key = try harness.key("alice-laptop", user: "alice")
        try await harness.serveAPI { session, _ in
            let reply = try await session.request("/api/me", method: .get, headers: Self.auth(key.secret))
            #expect(reply.status == .ok)
            let body = try H.json(reply)
            #expect(body["user"] == "alice" && body["key"]?["id"]?.stringValue == key.id)
            #expect(body["key"]?["name"] == "alice-laptop")
            #expect(!reply.text.contains(key.secret) && !reply.text.contains(String(key.secret.suffix(20))))
            let anonymous = try await session.request("/api/me", method: .get)
            #expect(anonymous.status == .unauthorized)
        }
    }

    @Test func aUserListsOnlyTheirRunsAndDownloadsOnlyTheirArtifacts() async throws {
        let harness = H("api-runs")
        defer { harness.remove() }
        let alice = try harness.key("alice", user: "alice")
        let bob = try harness.key("bob", user: "bob")
        let folder = Fixture.package(
            in: harness.root, folder: "writer", id: "fixture.writer",
            script: """
                cat >/dev/null
                printf '<script>alert(1)</script>\\n' > /work/out/page.html
                echo '{"ok":true}'
                """)
        _ = try PackageService(home: harness.home).install(folder, trustedKeys: nil, allowUnsigned: true, force: false)
        try await harness.serveAPI { session, _ in
            var aliceRuns: [String] = []
            for _ in 0..<3 {
                let ran = try await session.request(
                    "/api/tools/fixture.writer/runs", method: .post,
                    headers: Self.auth(alice.secret).merging(["Content-Type": "application/json"]) { a, _ in a },
                    body: #"{"input": {}}"#)
                #expect(ran.status == .ok, "\(ran.text)")
                aliceRuns.append(try #require(H.json(ran)["runId"]?.stringValue))
            }
            let bobRan = try await session.request(
                "/api/tools/text.stats/runs", method: .post,
                headers: Self.auth(bob.secret).merging(["Content-Type": "application/json"]) { a, _ in a },
                body: #"{"input": {"text": "one two"}}"#)
            #expect(bobRan.status == .ok, "\(bobRan.text)")

            // Pages of 2: the three runs, newest first, then no next page.
            let first = try H.json(
                try await session.request("/api/runs?limit=2", method: .get, headers: Self.auth(alice.secret)))
            let next = try #require(first["next"]?.stringValue)
            let second = try H.json(
                try await session.request(
                    "/api/runs?limit=2&before=\(next)", method: .get, headers: Self.auth(alice.secret)))
            #expect(second["next"] == .null)
            let listed = (first["runs"]?.arrayValue ?? []) + (second["runs"]?.arrayValue ?? [])
            #expect(Set(listed.compactMap { $0["id"]?.stringValue }) == Set(aliceRuns))
            #expect(listed.allSatisfy { $0["user"] == "alice" && $0["status"] == "completed" && $0["input"] == nil })
            let failed = try H.json(
                try await session.request("/api/runs?status=failed", method: .get, headers: Self.auth(alice.secret)))
            #expect(failed["runs"]?.arrayValue?.isEmpty == true)
            let bobs = try H.json(try await session.request("/api/runs", method: .get, headers: Self.auth(bob.secret)))
            #expect(bobs["runs"]?.arrayValue?.map { $0["toolId"] } == ["text.stats"])

            for (query, field) in [
                ("status=done", "status"), ("limit=0", "limit"), ("limit=201", "limit"), ("limit=x", "limit"),
                ("before=nope", "before"), ("before=1.RUN", "before"),
            ] {
                let reply = try await session.request(
                    "/api/runs?\(query)", method: .get, headers: Self.auth(alice.secret))
                #expect(reply.status == .badRequest, "\(query)")
                #expect(try H.json(reply)["details"]?["field"]?.stringValue == field, "\(query)")
            }

            // The artifact: for saving, never for rendering; only for a key that may see the run.
            let run = aliceRuns[0]
            let file = try await session.request(
                "/api/runs/\(run)/artifact?path=page.html", method: .get, headers: Self.auth(alice.secret))
            #expect(file.status == .ok && file.text == "<script>alert(1)</script>\n")
            #expect(file.headers[.contentType] == "application/octet-stream")
            #expect(file.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"page.html\"") == true)
            #expect(file.headers[.contentSecurityPolicy]?.contains("sandbox") == true)
            #expect(file.headers[.xContentTypeOptions] == "nosniff")
            let foreign = try await session.request(
                "/api/runs/\(run)/artifact?path=page.html", method: .get, headers: Self.auth(bob.secret))
            #expect(foreign.status == .notFound && !foreign.text.contains("alert"))
            for path in ["", "../../runs.sqlite", "%2Fetc%2Fpasswd", "page.html%00", "..%2F..%2Faccess.sqlite"] {
                let reply = try await session.request(
                    "/api/runs/\(run)/artifact?path=\(path)", method: .get, headers: Self.auth(alice.secret))
                #expect([.notFound, .badRequest].contains(reply.status), "\(path): \(reply.status)")
                #expect(!reply.text.contains("SQLite") && !reply.text.contains("root:"), "\(path)")
            }
        }
    }
}
