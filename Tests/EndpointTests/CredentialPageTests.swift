import AgentHost
import Credentials
import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import Service
import TestSupport
import Testing

@testable import Endpoint

/// `GET`/`POST /credentials/{ticket}`: the page a human uses to hand a paused run its credentials.
@Suite(.serialized) struct CredentialPageTests {
    typealias H = EndpointHarness

    static let pageHeaders: [(String, String)] = [
        (
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
        ),
        ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin"), ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ]

    static func expectPageHeaders(_ response: H.Reply, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.headers[.contentType] == "text/html; charset=utf-8", sourceLocation: sourceLocation)
        for (name, value) in pageHeaders {
            #expect(response.headers[HeaderName(name)!] == value, "\(name)", sourceLocation: sourceLocation)
        }
        #expect(!H.text(response).lowercased().contains("<script"), sourceLocation: sourceLocation)
    }

    /// Calls `notify.webhook_prepare` as a 2026-07-28 client that answers form and URL elicitations,
    /// approving the call if asked, until it asks for credentials; returns the page's URL.
    static func credentialPageURL(_ session: H.Session, key: String) async throws -> String {
        let capabilities: JSONValue = ["elicitation": ["form": [:], "url": [:]]]
        var params: [String: JSONValue] = [
            "name": "registry_execute",
            "arguments": [
                "toolId": "notify.webhook_prepare",
                "input": [
                    "url": "https://example.com/hook", "event": "order.created", "payload": ["n": 1], "timestamp": 1,
                ],
            ],
        ]
        for round in 1...3 {
            let response = try await session.mcp(
                H.modern(id: Int64(round), "tools/call", params, capabilities: capabilities), key: key,
                accept: "application/json", headers: H.modernHeaders)
            #expect(response.status == .ok)
            let result = try #require(try H.json(response)["result"], "\(H.text(response))")
            #expect(result["resultType"] == "input_required", "\(result.jsonText)")
            if let url = result["inputRequests"]?["credentials"]?["params"]?["url"]?.stringValue { return url }
            #expect(result["inputRequests"]?["approval"] != nil, "\(result.jsonText)")
            params["requestState"] = result["requestState"]
            params["inputResponses"] = ["approval": ["action": "accept"]]
        }
        throw RawHTTPConnection.Failure(description: "no credential page was offered")
    }

    static func form(
        _ session: H.Session, path: String, _ body: String, contentType: String = "application/x-www-form-urlencoded"
    )
        async throws -> H.Reply
    {
        try await session.request(
            path, method: .post, headers: ["Content-Type": contentType, "Origin": session.publicURL], body: body)
    }

    @Test func aBadTicketGetsTheErrorPage() async throws {
        let harness = H("credential-bad")
        defer { harness.remove() }
        try await harness.serve { session in
            for ticket in ["nonsense", "ost1.AAAA", "ost1." + String(repeating: "A", count: 200), "%3Cscript%3E"] {
                let page = try await session.request("/credentials/" + ticket, method: .get)
                #expect(page.status == .unauthorized, "\(ticket)")
                Self.expectPageHeaders(page)
                #expect(H.text(page).contains("not valid"))
                let post = try await Self.form(session, path: "/credentials/" + ticket, "X=y")
                #expect(post.status == .unauthorized)
                Self.expectPageHeaders(post)
            }
        }
    }

    @Test func theCredentialPageStoresTheSecretOnceAndNeverShowsIt() async throws {
        let harness = H("credential-flow")
        defer { harness.remove() }
        let key = try harness.key(user: "alice")
        // `+` is a space and %XX a byte: the stored value is exactly what the human typed.
        let typed = "hunter2+hunter2 and&more/ü"
        let encoded = "hunter2%2Bhunter2+and%26more%2F%C3%BC"
        try await harness.serve { session in
            let url = try await Self.credentialPageURL(session, key: key.secret)
            #expect(url.hasPrefix(session.publicURL + "/credentials/ost1."))
            let path = String(url.dropFirst(session.publicURL.count))

            let page = try await session.request(path, method: .get)
            #expect(page.status == .ok)
            Self.expectPageHeaders(page)
            let html = H.text(page)
            #expect(html.contains("notify.webhook_prepare") && html.contains("WEBHOOK_SECRET"))
            #expect(html.contains("Shared secret used to sign webhook deliveries"))
            #expect(html.contains("<input id=\"v0\" name=\"WEBHOOK_SECRET\" type=\"password\" autocomplete=\"off\""))
            #expect(html.contains("<button type=\"submit\">"))

            var bodies = [H.text(page)]
            let wrongType = try await Self.form(
                session, path: path, "WEBHOOK_SECRET=" + encoded, contentType: "text/plain")
            #expect(wrongType.status == .unsupportedMediaType)
            let empty = try await Self.form(session, path: path, "WEBHOOK_SECRET=")
            #expect(empty.status == .badRequest)
            #expect(H.text(empty).contains("WEBHOOK_SECRET"))
            let unknown = try await Self.form(session, path: path, "WEBHOOK_SECRET=\(encoded)&OTHER=x")
            #expect(unknown.status == .badRequest)
            #expect(H.text(unknown).contains("OTHER"))
            let badEscape = try await Self.form(session, path: path, "WEBHOOK_SECRET=%ZZ")
            #expect(badEscape.status == .badRequest)

            let saved = try await Self.form(session, path: path, "WEBHOOK_SECRET=" + encoded)
            #expect(saved.status == .ok)
            Self.expectPageHeaders(saved)
            #expect(H.text(saved).contains("Saved. Return to your agent and continue."))
            let vault = try CredentialVault(directory: harness.home.vaultDirectory)
            #expect(vault.value("WEBHOOK_SECRET", scope: .user("alice")) == typed)
            #expect(vault.value("WEBHOOK_SECRET", scope: .global) == nil)

            let again = try await Self.form(session, path: path, "WEBHOOK_SECRET=" + encoded)
            #expect(again.status == .unauthorized)
            #expect(H.text(again).contains("already used"))
            bodies += [wrongType, empty, unknown, badEscape, saved, again].map(H.text)
            for body in bodies {
                #expect(!body.contains("hunter2"))
                #expect(!body.contains(encoded))
            }
        }
    }

    @Test func aCrossSiteFormPostIsRefused() async throws {
        let harness = H("credential-origin")
        defer { harness.remove() }
        try await harness.serve { session in
            let response = try await session.request(
                "/credentials/ost1.AAAA", method: .post,
                headers: ["Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"],
                body: "X=y")
            #expect(response.status == .forbidden)
            Self.expectPageHeaders(response)
        }
    }
}
