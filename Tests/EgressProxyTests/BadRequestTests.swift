import Egress
import EgressProxy
import Testing

/// What the proxy does not serve is refused with `400`, and an oversized head with `431`.
struct BadRequestTests {
    func refused(_ request: [UInt8], limits: (inout EgressLimits) -> Void = { _ in })
        async throws -> (response: String, record: EgressConnectionRecord?)
    {
        let folder = SocketDirectory()
        let sink = RecordSink()
        let proxy = EgressProxy(resolver: TableResolver(["web.test": [loopback]]), refusal: allowTestLoopback)
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["web.test", "web.test:80"], limits), onRecord: sink.callback)
        let tool = try await ToolConnection.open(session.socketPath, initial: request)
        let response = String(decoding: try await tool.readToEnd(), as: UTF8.self)
        await tool.close()
        _ = await session.close()
        return (response, sink.all.first)
    }

    @Test(arguments: [
        "GET https://web.test/ HTTP/1.1\r\nHost: web.test\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: web.test\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: web.test\r\n\r\n",
        "GET ftp://web.test/ HTTP/1.1\r\n\r\n",
        "GET http://user:pass@web.test/ HTTP/1.1\r\n\r\n",
        "CONNECT web.test HTTP/1.1\r\n\r\n",
        "CONNECT web.test:0 HTTP/1.1\r\n\r\n",
        "CONNECT web.test:99999 HTTP/1.1\r\n\r\n",
        "CONNECT http://web.test:443/ HTTP/1.1\r\n\r\n",
        "POST http://web.test/ HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    ])
    func requestsTheProxyDoesNotServeAre400(request: String) async throws {
        let (response, record) = try await refused(Array(request.utf8))
        #expect(statusCode(response) == 400, "\(response)")
        #expect(header("X-Omega-Egress", in: response) == "bad_request")
        #expect(record?.reason == "bad_request")
        #expect(record?.verdict == "refused")
    }

    @Test func garbageBytesAre400() async throws {
        let garbage: [UInt8] = [0x00, 0x01, 0xFF, 0x16, 0x03, 0x01] + Array("garbage\r\n\r\n".utf8)
        let (response, record) = try await refused(garbage)
        #expect(statusCode(response) == 400)
        #expect(record?.reason == "bad_request")
        #expect(record?.method == "")
        #expect(record?.host == "")
        #expect(record?.port == 0)
    }

    @Test func aSixtyFourKiBHeadIs431() async throws {
        let head =
            "GET http://web.test/ HTTP/1.1\r\nHost: web.test\r\nX-Pad: " + String(repeating: "a", count: 64 << 10)
            + "\r\n\r\n"
        let (response, record) = try await refused(Array(head.utf8))
        #expect(statusCode(response) == 431)
        #expect(header("X-Omega-Egress", in: response) == "head_too_large")
        #expect(record?.reason == "head_too_large")
    }

    @Test func manySmallHeadersOverTheLimitAre431() async throws {
        var head = "GET http://web.test/ HTTP/1.1\r\n"
        for index in 0..<100 { head += "X-H\(index): " + String(repeating: "b", count: 20) + "\r\n" }
        head += "\r\n"
        let (response, record) = try await refused(Array(head.utf8)) { $0.maxRequestHeadBytes = 1024 }
        #expect(statusCode(response) == 431)
        #expect(record?.reason == "head_too_large")
    }

    @Test func aHeadNeverFinishedIsClosedAfterTheIdleTimeout() async throws {
        let (response, record) = try await refused(Array("GET http://web.test/ HTTP/1.1\r\nHost: w".utf8)) {
            $0.idleTimeoutSeconds = 0.3
        }
        // The proxy's own clock (the test's can lag behind a busy concurrency pool in a parallel run).
        #expect((record?.durationMs ?? .max) < 5000, "\(String(describing: record))")
        #expect(statusCode(response) == 408)
        #expect(record?.reason == "idle_timeout")
        #expect(record?.verdict == "refused")
    }
}
