import Egress
import NIOHTTP1
import Testing

@testable import EgressProxy

/// Reading the request target and rewriting a forwarded head.
struct RequestTargetTests {
    @Test func connectAuthoritiesAndAbsoluteURLsAreRead() {
        #expect(
            RequestTarget.parse(method: "CONNECT", uri: "API.Example.com:443")
                == RequestTarget(host: "api.example.com", port: 443, kind: .tunnel))
        #expect(
            RequestTarget.parse(method: "CONNECT", uri: "[2001:db8::1]:8443")
                == RequestTarget(host: "[2001:db8::1]", port: 8443, kind: .tunnel))
        #expect(
            RequestTarget.parse(method: "GET", uri: "http://a.test")
                == RequestTarget(host: "a.test", port: 80, kind: .forward(pathAndQuery: "/")))
        #expect(
            RequestTarget.parse(method: "GET", uri: "HTTP://a.test:8080?x=1#frag")
                == RequestTarget(host: "a.test", port: 8080, kind: .forward(pathAndQuery: "/?x=1")))
        #expect(
            RequestTarget.parse(method: "PUT", uri: "http://a.test/p/q?r#s")
                == RequestTarget(host: "a.test", port: 80, kind: .forward(pathAndQuery: "/p/q?r")))
    }

    @Test(arguments: [
        ("CONNECT", "a.test"), ("CONNECT", "a.test:"), ("CONNECT", "a.test:65536"), ("CONNECT", ":443"),
        ("CONNECT", "a.test:443/x"), ("CONNECT", "[::1"), ("CONNECT", "user@a.test:443"), ("GET", "/x"),
        ("GET", "*"), ("GET", "https://a.test/"), ("GET", "http://"), ("GET", "http:///x"),
        ("GET", "http://u:p@a.test/"), ("GET", "http://a.test:x/"), ("GET", "ws://a.test/"),
    ])
    func targetsTheProxyDoesNotServeAreRefused(method: String, uri: String) {
        #expect(RequestTarget.parse(method: method, uri: uri) == nil)
    }

    @Test(arguments: [
        "1.2.3.4", "[::1]", "::1", "2130706433", "0x7f.0.0.1", "0x7f000001", "017700000001", "127.1", "1.2.3.4.",
        "[fe80::1%eth0]", "0x",
    ])
    func ipLiteralsAreRecognisedInEveryForm(host: String) {
        #expect(RequestTarget.literal(host).isLiteral)
    }

    @Test(arguments: ["a.test", "1a.test", "x1.2.3.4.test", "0xdead.test", "deadbeef"])
    func namesAreNotLiterals(host: String) {
        #expect(!RequestTarget.literal(host).isLiteral)
    }

    @Test func forwardedHeadDropsHopByHopAndConnectionNamedHeaders() throws {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "other.test")
        headers.add(name: "Connection", value: "keep-alive, X-Hop")
        headers.add(name: "X-Hop", value: "1")
        headers.add(name: "Proxy-Authorization", value: "Basic x")
        headers.add(name: "Accept", value: "*/*")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "http://a.test:81/x", headers: headers)
        let forwarded = try #require(ForwardedHead.make(from: head, host: "a.test", port: 81, pathAndQuery: "/x"))
        #expect(forwarded.uri == "/x")
        #expect(Array(forwarded.headers.map { $0.name }) == ["Host", "Accept", "Connection"])
        #expect(forwarded.headers["Host"] == ["a.test:81"])
        #expect(forwarded.headers["Connection"] == ["close"])
    }

    @Test func ambiguousFramingIsNotForwarded() {
        var headers = HTTPHeaders()
        headers.add(name: "Transfer-Encoding", value: "chunked")
        headers.add(name: "Content-Length", value: "3")
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "http://a.test/", headers: headers)
        #expect(ForwardedHead.make(from: head, host: "a.test", port: 80, pathAndQuery: "/") == nil)
        var gzip = HTTPHeaders()
        gzip.add(name: "Transfer-Encoding", value: "gzip")
        let other = HTTPRequestHead(version: .http1_1, method: .POST, uri: "http://a.test/", headers: gzip)
        #expect(ForwardedHead.make(from: other, host: "a.test", port: 80, pathAndQuery: "/") == nil)
    }
}
