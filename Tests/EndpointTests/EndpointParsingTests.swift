import Testing
import ToolRuntime

@testable import Endpoint

/// The endpoint's small parsers: `--listen`, origins, `Accept`, form bodies, HTML escaping.
struct EndpointParsingTests {
    @Test func listenAddressesParseHostAndPort() throws {
        #expect(try ListenAddress.parse("127.0.0.1:8080") == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(try ListenAddress.parse("[::1]:8080") == ListenAddress(host: "::1", port: 8080))
        #expect(try ListenAddress.parse("localhost:0") == ListenAddress(host: "localhost", port: 0))
        #expect(try ListenAddress.parse("0.0.0.0:65535").isWildcard)
        #expect(try ListenAddress.parse("[::1]:80").description == "[::1]:80")
        #expect(ListenAddress.standard.description == "127.0.0.1:8080")
    }

    @Test func badListenAddressesNameTheListenField() {
        for text in [
            "", "8080", ":8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "::1:80",
            "[::1]", "[::1]8080", "[zz]:80", "host name:80", "h/st:80", "127.0.0.1:80x", "127.0.0.1:0800000",
        ] {
            do {
                _ = try ListenAddress.parse(text)
                Issue.record("\(text) parsed")
            } catch {
                #expect(error.code == .invalidInput, "\(text)")
                #expect(error.details["field"] == "--listen", "\(text)")
                #expect(error.message.hasPrefix("--listen:"), "\(text)")
            }
        }
    }

    @Test func originsAreComparedAsBrowsersSendThem() throws {
        let policy = OriginPolicy(
            listen: ListenAddress(host: "0.0.0.0", port: 8080), port: 8080,
            publicURL: WebOrigin.parse("https://omega.example.com/base/"),
            extra: [try WebOrigin(parsing: "https://app.example.com", field: "--allow-origin")])
        for allowed in [
            nil, "http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080", "HTTP://LOCALHOST:8080",
            "https://omega.example.com", "https://omega.example.com:443", "https://app.example.com",
        ] as [String?] {
            #expect(policy.allows(allowed), "\(allowed ?? "none")")
        }
        for refused in [
            "null", "", "http://127.0.0.1:8081", "http://0.0.0.0:8080", "https://127.0.0.1:8080",
            "http://omega.example.com", "https://omega.example.com/", "https://evil.example", "file://",
            "http://x@localhost:8080",
            "https://app.example.com.evil.example",
        ] {
            #expect(!policy.allows(refused), "\(refused)")
        }
        #expect(throws: OmegaError.self) { try WebOrigin(parsing: "ftp://x", field: "--allow-origin") }
        #expect(try WebOrigin(parsing: "http://h:80/", field: "--public-url").description == "http://h")
    }

    @Test func acceptHeadersFollowTheMostSpecificRange() {
        #expect(MediaType.accepts(nil, "application/json"))
        #expect(MediaType.accepts("", "text/event-stream"))
        #expect(MediaType.accepts("application/json, text/event-stream", "text/event-stream"))
        #expect(MediaType.accepts("*/*;q=0.1", "application/json"))
        #expect(MediaType.accepts("text/*", "text/event-stream"))
        #expect(!MediaType.accepts("text/*", "application/json"))
        #expect(!MediaType.accepts("*/*, application/json;q=0", "application/json"))
        #expect(MediaType.accepts("application/*;q=0, application/json", "application/json"))
        #expect(!MediaType.accepts("text/html", "application/json"))
        #expect(MediaType.essence(of: " Application/JSON ; charset=utf-8") == "application/json")
    }

    @Test func formBodiesDecodePlusAndPercentEscapes() throws {
        let pairs = try #require(FormURLEncoded.decode(Array("A=1+2%2B3&B=%C3%BC%26&C&=x&&D=a=b".utf8)))
        #expect(pairs.map(\.name) == ["A", "B", "C", "", "D"])
        #expect(pairs.map(\.value) == ["1 2+3", "ü&", "", "x", "a=b"])
        for bad in ["A=%", "A=%4", "A=%G1", "A=%FF", "%C3=1"] {
            #expect(FormURLEncoded.decode(Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    @Test func htmlEscapingCoversEveryMarkupCharacter() {
        #expect(
            HTML.escape("<a href=\"x\" title='y'>&amp;</a>")
                == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;")
        #expect(HTML.escape("plain ü") == "plain ü")
    }
}
