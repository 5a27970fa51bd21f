import Egress
import EgressProxy
import Testing

/// Requests for hosts the grant does not cover, or for IP addresses, are refused before any lookup.
struct GrantRefusalTests {
    /// A session granting `api.test` (443) and `*.svc.test:8443`, with a resolver that counts lookups.
    func withSession(
        _ body: (EgressSession, TableResolver) async throws -> Void
    ) async throws -> [EgressConnectionRecord] {
        let folder = SocketDirectory()
        let sink = RecordSink()
        let resolver = TableResolver(["api.test": [loopback]])
        let proxy = EgressProxy(resolver: resolver, refusal: allowTestLoopback)
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["api.test", "*.svc.test:8443"]), onRecord: sink.callback)
        try await body(session, resolver)
        _ = await session.close()
        return sink.all
    }

    @Test(arguments: [
        ("CONNECT forbidden.test:443 HTTP/1.1\r\n\r\n", "forbidden.test", 443),
        ("CONNECT api.test:80 HTTP/1.1\r\n\r\n", "api.test", 80),
        ("CONNECT svc.test:8443 HTTP/1.1\r\n\r\n", "svc.test", 8443),
        ("CONNECT a.svc.test:443 HTTP/1.1\r\n\r\n", "a.svc.test", 443),
        ("GET http://forbidden.test/ HTTP/1.1\r\nHost: forbidden.test\r\n\r\n", "forbidden.test", 80),
        ("GET http://api.test/ HTTP/1.1\r\nHost: api.test\r\n\r\n", "api.test", 80),
    ])
    func ungrantedNameOrPortIsRefusedWith403(request: String, host: String, port: Int) async throws {
        let records = try await withSession { session, resolver in
            let response = try await ToolConnection.exchange(session.socketPath, request)
            #expect(statusCode(response) == 403)
            #expect(header("X-Omega-Egress", in: response) == "not_granted")
            #expect(header("Connection", in: response) == "close")
            #expect(header("Content-Type", in: response) == "text/plain; charset=utf-8")
            #expect(response.hasSuffix("omega egress: \(host):\(port) is not granted to this tool\n"))
            #expect(resolver.lookups.withLock { $0 } == 0)
        }
        #expect(records.count == 1)
        #expect(records.first?.verdict == "refused")
        #expect(records.first?.reason == "not_granted")
        #expect(records.first?.host == host)
        #expect(records.first?.port == port)
    }

    @Test(arguments: [
        "CONNECT 1.2.3.4:443", "CONNECT [::1]:443", "CONNECT 2130706433:443", "CONNECT 0x7f.0.0.1:443",
        "CONNECT 0x7f000001:443", "CONNECT 017700000001:443", "CONNECT 127.1:443", "CONNECT [::ffff:127.0.0.1]:443",
        "CONNECT 10.0.0.1.:443", "GET http://1.2.3.4/", "GET http://[::1]:8080/", "GET http://2130706433/",
    ])
    func ipLiteralsInEveryFormAreRefused(requestLine: String) async throws {
        let records = try await withSession { session, resolver in
            let response = try await ToolConnection.exchange(session.socketPath, requestLine + " HTTP/1.1\r\n\r\n")
            #expect(statusCode(response) == 403)
            #expect(header("X-Omega-Egress", in: response) == "ip_literal")
            #expect(resolver.lookups.withLock { $0 } == 0)
        }
        #expect(records.first?.reason == "ip_literal")
        #expect(records.first?.verdict == "refused")
    }

    @Test func refusalsNeverEchoRequestHeaders() async throws {
        let secret = "c2VjcmV0LXRva2VuLTEyMzQ"
        let records = try await withSession { session, _ in
            for request in [
                "CONNECT forbidden.test:443 HTTP/1.1\r\nProxy-Authorization: Basic \(secret)\r\nCookie: \(secret)\r\n\r\n",
                "GET http://forbidden.test/\(secret) HTTP/1.1\r\nProxy-Authorization: Basic \(secret)\r\n\r\n",
                "CONNECT 10.0.0.1:443 HTTP/1.1\r\nProxy-Authorization: Basic \(secret)\r\n\r\n",
                "GET /\(secret) HTTP/1.1\r\nProxy-Authorization: Basic \(secret)\r\n\r\n",
            ] {
                let response = try await ToolConnection.exchange(session.socketPath, request)
                #expect(statusCode(response) != nil)
                #expect(!response.contains(secret), "\(response)")
            }
        }
        #expect(records.count == 4)
        for record in records {
            #expect(!"\(record)".contains(secret))
        }
    }
}
