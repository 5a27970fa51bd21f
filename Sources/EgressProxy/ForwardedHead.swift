import NIOHTTP1

/// The request head a plain-HTTP request is sent upstream with.
enum ForwardedHead {
    /// Headers that belong to one hop (RFC 9110 §7.6.1) or to the proxy, never sent upstream.
    static let hopByHop: Set<String> = [
        "connection", "proxy-connection", "keep-alive", "proxy-authorization", "proxy-authenticate", "te",
        "trailer", "upgrade", "transfer-encoding", "host",
    ]

    /// `head` rewritten for the origin server: the target in origin form (`pathAndQuery`), `Host` set to
    /// the URL's authority (`host`, with `:port` unless 80), hop-by-hop and proxy headers removed (with
    /// every header `Connection` or `Proxy-Connection` names), the body's framing kept (`Content-Length`,
    /// or `Transfer-Encoding: chunked` re-encoded by NIO), and `Connection: close`.
    ///
    /// - Returns: nil when the framing is ambiguous or unsupported: `Transfer-Encoding` other than
    ///   exactly `chunked`, or together with `Content-Length` (request smuggling).
    static func make(from head: HTTPRequestHead, host: String, port: Int, pathAndQuery: String) -> HTTPRequestHead? {
        let encodings = head.headers[canonicalForm: "transfer-encoding"].map { $0.lowercased() }
        let chunked: Bool
        switch encodings {
        case []: chunked = false
        case ["chunked"]: chunked = true
        default: return nil
        }
        if chunked && head.headers.contains(name: "content-length") { return nil }
        var named = hopByHop
        for field in ["connection", "proxy-connection"] {
            for token in head.headers[canonicalForm: field] {
                named.insert(trimmed(token.lowercased()))
            }
        }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: port == 80 ? host : "\(host):\(port)")
        for (name, value) in head.headers where !named.contains(name.lowercased()) {
            headers.add(name: name, value: value)
        }
        if chunked { headers.add(name: "Transfer-Encoding", value: "chunked") }
        headers.add(name: "Connection", value: "close")
        return HTTPRequestHead(version: head.version, method: head.method, uri: pathAndQuery, headers: headers)
    }

    /// Why `head` must not be forwarded at all, or nil when it may be:
    /// - it asks for an upgrade (`Upgrade`, or `Connection` naming `upgrade`): NIO's decoder stops parsing
    ///   after such a request, and the proxy forwards one request, never a protocol switch;
    /// - a body on `TRACE`, which NIO's encoder frames without a body (it drops `Content-Length` and
    ///   `Transfer-Encoding` but not the bytes: they would reach the server as a second request);
    /// - `Transfer-Encoding` on HTTP/1.0, which NIO's encoder does not chunk (same smuggling).
    static func refusal(of head: HTTPRequestHead) -> String? {
        let connectionTokens = head.headers[canonicalForm: "connection"].map { trimmed($0.lowercased()) }
        if head.headers.contains(name: "upgrade") || connectionTokens.contains("upgrade") {
            return "upgrades are not forwarded"
        }
        let framed = head.headers.contains(name: "content-length") || head.headers.contains(name: "transfer-encoding")
        if head.method == .TRACE && framed {
            return "a TRACE request may not have a body"
        }
        if head.version.major != 1 || head.version.minor < 1, head.headers.contains(name: "transfer-encoding") {
            return "Transfer-Encoding needs HTTP/1.1"
        }
        return nil
    }

    /// About how many bytes `head` took on the wire (request line, header lines, blank line).
    static func estimatedSize(of head: HTTPRequestHead) -> Int {
        var size = head.method.rawValue.utf8.count + head.uri.utf8.count + 12
        for (name, value) in head.headers { size += name.utf8.count + value.utf8.count + 4 }
        return size + 2
    }
}

/// `text` without leading and trailing spaces and tabs.
private func trimmed(_ text: String) -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
    return String(text.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
}
