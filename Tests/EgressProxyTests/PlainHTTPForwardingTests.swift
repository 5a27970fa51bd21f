import Egress
import EgressProxy
import NIOCore
import Synchronization
import Testing

/// Absolute-form `http://` requests: forwarded once, in origin form, without hop-by-hop or proxy
/// headers, with `Connection: close`; the response comes back byte for byte.
struct PlainHTTPForwardingTests {
    static let okResponse = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Upstream: yes\r\n\r\nhello"

    /// Sends `request` through a session granting `web.test` on the server's port; returns the tool's
    /// view and the request the server received.
    func forward(_ request: (Int) -> String, response: String = okResponse) async throws
        -> (response: String, upstream: String?, record: EgressConnectionRecord?)
    {
        let folder = SocketDirectory()
        let server = try await UpstreamServer.http(response: response)
        let sink = RecordSink()
        let proxy = EgressProxy(resolver: TableResolver(["web.test": [loopback]]), refusal: allowTestLoopback)
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["web.test:\(server.port)"]), onRecord: sink.callback)
        let answer = try await ToolConnection.exchange(session.socketPath, request(server.port))
        _ = await session.close()
        await server.close()
        return (answer, server.requests.first, sink.all.first)
    }

    @Test func absoluteFormGetIsSentInOriginFormWithoutHopByHopHeaders() async throws {
        let (response, upstream, record) = try await forward { port in
            "GET http://WEB.test:\(port)/path/x?q=1&r=2 HTTP/1.1\r\n"
                + "Host: evil.internal\r\n"
                + "User-Agent: tool/1.0\r\n"
                + "Proxy-Authorization: Basic c2VjcmV0\r\n"
                + "Proxy-Connection: keep-alive\r\n"
                + "Connection: keep-alive, X-Private\r\n"
                + "X-Private: drop-me\r\n"
                + "Keep-Alive: timeout=5\r\n"
                + "TE: trailers\r\n"
                + "Accept: */*\r\n\r\n"
        }
        #expect(response == Self.okResponse)
        let sent = try #require(upstream)
        let requestLine = sent.components(separatedByString: "\r\n").first
        #expect(requestLine?.hasPrefix("GET /path/x?q=1&r=2 HTTP/1.1") == true)
        #expect(header("Host", in: sent)?.hasPrefix("web.test:") == true)
        #expect(header("Connection", in: sent) == "close")
        #expect(header("User-Agent", in: sent) == "tool/1.0")
        #expect(header("Accept", in: sent) == "*/*")
        for dropped in ["Proxy-Authorization", "Proxy-Connection", "X-Private", "Keep-Alive", "TE"] {
            #expect(header(dropped, in: sent) == nil, "\(dropped) must not be forwarded")
        }
        #expect(!sent.contains("c2VjcmV0"))
        #expect(record?.method == "GET")
        #expect(record?.host == "web.test")
        #expect(record?.verdict == "allowed")
        #expect(record?.reason == "closed")
        #expect(record?.bytesUp == UInt64(sent.utf8.count))
        #expect(record?.bytesDown == UInt64(Self.okResponse.utf8.count))
    }

    @Test func contentLengthBodyIsForwardedWithItsLength() async throws {
        let (response, upstream, _) = try await forward { port in
            "POST http://web.test:\(port)/submit HTTP/1.1\r\nHost: web.test\r\nContent-Length: 11\r\n\r\nhello world"
        }
        #expect(statusCode(response) == 200)
        let sent = try #require(upstream)
        #expect(header("Content-Length", in: sent) == "11")
        #expect(header("Transfer-Encoding", in: sent) == nil)
        #expect(sent.hasSuffix("\r\n\r\nhello world"))
    }

    @Test func chunkedBodyIsReEncodedChunked() async throws {
        let (response, upstream, _) = try await forward { port in
            "POST http://web.test:\(port)/up HTTP/1.1\r\nHost: web.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        }
        #expect(statusCode(response) == 200)
        let sent = try #require(upstream)
        #expect(header("Transfer-Encoding", in: sent) == "chunked")
        let body = sent.components(separatedByString: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        // Chunk sizes may differ from the tool's; the decoded body may not.
        #expect(dechunk(body) == "hello world")
    }

    @Test func redirectPassesThroughUntouchedAndIsNotFollowed() async throws {
        let redirect =
            "HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data/\r\nContent-Length: 0\r\n\r\n"
        let (response, upstream, record) = try await forward(
            { port in "GET http://web.test:\(port)/go HTTP/1.1\r\nHost: web.test\r\n\r\n" }, response: redirect)
        #expect(response == redirect)
        #expect(upstream != nil)
        #expect(record?.verdict == "allowed")
    }

    @Test func bothContentLengthAndChunkedIsABadRequest() async throws {
        let (response, upstream, record) = try await forward { port in
            "POST http://web.test:\(port)/x HTTP/1.1\r\nHost: web.test\r\nContent-Length: 3\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        }
        #expect(statusCode(response) == 400)
        #expect(upstream == nil)
        #expect(record?.reason == "bad_request")
    }
}

/// Requests the proxy refuses to forward, and what it does not read after a forwarded one.
struct ForwardingHardeningTests {
    @Test func anUpgradeRequestIsRefusedAndWhatFollowsIsNotBuffered() async throws {
        let folder = SocketDirectory()
        let server = try await UpstreamServer.http(response: PlainHTTPForwardingTests.okResponse)
        let sink = RecordSink()
        let proxy = EgressProxy(resolver: TableResolver(["web.test": [loopback]]), refusal: allowTestLoopback)
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["web.test:\(server.port)"]), onRecord: sink.callback)
        let tool = try await ToolConnection.open(session.socketPath)
        try await tool.send(
            "GET http://web.test:\(server.port)/ws HTTP/1.1\r\nHost: web.test\r\nUpgrade: x\r\n"
                + "Connection: Upgrade\r\n\r\n")
        // What an upgraded tool would send next: 16 MiB the proxy must neither parse nor keep.
        let chunk = [UInt8](repeating: 0x41, count: 256 << 10)
        for _ in 0..<64 {
            guard (try? await tool.send(chunk)) != nil, !tool.received.closed else { break }
        }
        let answer = String(decoding: try await tool.readToEnd(), as: UTF8.self)
        #expect(statusCode(answer) == 400)
        #expect(header("X-Omega-Egress", in: answer) == "bad_request")
        #expect(server.accepted == 0)
        await tool.close()
        _ = await session.close()
        await server.close()
        #expect(sink.all.map(\.reason) == ["bad_request"])
    }

    @Test func connectionNamingUpgradeAloneIsRefused() async throws {
        let (response, upstream, record) = try await PlainHTTPForwardingTests().forward { port in
            "GET http://web.test:\(port)/ HTTP/1.1\r\nHost: web.test\r\nConnection: keep-alive, Upgrade\r\n\r\n"
        }
        #expect(statusCode(response) == 400)
        #expect(upstream == nil)
        #expect(record?.reason == "bad_request")
    }

    @Test func bytesAfterAForwardedRequestAreNotRead() async throws {
        let folder = SocketDirectory()
        let server = try await UpstreamServer.echo()
        let proxy = EgressProxy(resolver: TableResolver(["web.test": [loopback]]), refusal: allowTestLoopback)
        let session = try await proxy.open(
            socketPath: folder.socket(), grant: try grant(["web.test:\(server.port)"]), onRecord: { _ in })
        let tool = try await ToolConnection.open(session.socketPath)
        try await tool.send("GET http://web.test:\(server.port)/a HTTP/1.1\r\nHost: web.test\r\n\r\n")
        // The echo server answers with the forwarded request: the request is through, its end seen.
        _ = try await tool.read { String(decoding: $0, as: UTF8.self).contains("\r\n\r\n") }
        // A pipelined request and 8 MiB more: never read, so the write cannot finish while the proxy
        // holds the connection (a proxy reading and discarding them would take them all at once).
        let more = Array("GET http://web.test/b HTTP/1.1\r\n\r\n".utf8) + [UInt8](repeating: 0x42, count: 8 << 20)
        let written = tool.channel.eventLoop.makePromise(of: Void.self)
        tool.channel.writeAndFlush(tool.channel.allocator.buffer(bytes: more), promise: written)
        let finished = Mutex(false)
        written.futureResult.whenComplete { _ in finished.withLock { $0 = true } }
        try await Task.sleep(for: .seconds(1))
        #expect(!finished.withLock { $0 }, "the proxy read what followed the forwarded request")
        await tool.close()
        _ = await session.close()
        await server.close()
    }

    @Test func aBodyOnTraceIsABadRequest() async throws {
        let (response, upstream, record) = try await PlainHTTPForwardingTests().forward { port in
            "TRACE http://web.test:\(port)/ HTTP/1.1\r\nHost: web.test\r\nContent-Length: 36\r\n\r\n"
                + "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n"
        }
        #expect(statusCode(response) == 400)
        #expect(upstream == nil)
        #expect(record?.reason == "bad_request")
    }

    @Test func transferEncodingOnHTTP10IsABadRequest() async throws {
        let (response, upstream, record) = try await PlainHTTPForwardingTests().forward { port in
            "POST http://web.test:\(port)/ HTTP/1.0\r\nHost: web.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n0\r\n\r\n"
        }
        #expect(statusCode(response) == 400)
        #expect(upstream == nil)
        #expect(record?.reason == "bad_request")
    }
}

/// The body of a chunked message, decoded (on bytes: `\r\n` is one `Character`).
func dechunk(_ text: String) -> String {
    var rest = Array(text.utf8)[...]
    var body: [UInt8] = []
    while let lineEnd = rest.firstRange(of: Array("\r\n".utf8)) {
        guard let size = Int(String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self), radix: 16) else { break }
        rest = rest[lineEnd.upperBound...]
        if size == 0 { break }
        body += rest.prefix(size)
        rest = rest.dropFirst(size + 2)
    }
    return String(decoding: body, as: UTF8.self)
}
