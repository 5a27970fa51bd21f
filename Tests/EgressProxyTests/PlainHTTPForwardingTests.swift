import Egress
import EgressProxy
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
                + "Upgrade: websocket\r\n"
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
        for dropped in ["Proxy-Authorization", "Proxy-Connection", "X-Private", "Keep-Alive", "TE", "Upgrade"] {
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
