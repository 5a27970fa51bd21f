import Egress

/// Where a request asks the proxy to go: read from a `CONNECT` request's authority (`host:port`,
/// `[v6]:port`) or a plain-HTTP request's absolute URL (`http://host[:port]/path?query`).
struct RequestTarget: Equatable {
    /// What to do once connected.
    enum Kind: Equatable {
        /// Reply `200` and relay raw bytes both ways.
        case tunnel
        /// Send the request upstream in origin form (`pathAndQuery`) and relay the response.
        case forward(pathAndQuery: String)
    }

    /// The host as written, lowercased (an IPv6 literal keeps its brackets).
    var host: String
    /// The port (80 for an `http://` URL without one).
    var port: Int
    /// Tunnel or forward.
    var kind: Kind

    /// The target of a request with `method` and request-target `uri`; nil for anything the proxy does
    /// not serve: an origin-form (`/x`) or asterisk-form target, a scheme other than `http`, user
    /// information (`user@host`), a missing or bad port, a `CONNECT` target that is not an authority.
    static func parse(method: String, uri: String) -> RequestTarget? {
        if method == "CONNECT" {
            guard let (host, port) = authority(Substring(uri), defaultPort: nil) else { return nil }
            return RequestTarget(host: host, port: port, kind: .tunnel)
        }
        let scheme = "http://"
        guard uri.utf8.count > scheme.utf8.count, uri.prefix(scheme.count).lowercased() == scheme else { return nil }
        let rest = uri.dropFirst(scheme.count)
        let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        guard let (host, port) = authority(rest[..<end], defaultPort: 80) else { return nil }
        var path = rest[end...]
        if let hash = path.firstIndex(of: "#") { path = path[..<hash] }
        let pathAndQuery = path.hasPrefix("/") ? String(path) : "/" + path
        return RequestTarget(host: host, port: port, kind: .forward(pathAndQuery: pathAndQuery))
    }

    /// `host[:port]` or `[v6][:port]`; the port is required when `defaultPort` is nil.
    static func authority(_ text: Substring, defaultPort: Int?) -> (String, Int)? {
        guard !text.isEmpty, text.utf8.count <= 300,
            text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "@") })
        else { return nil }
        let host: Substring
        let portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[...close]
            let after = text[text.index(after: close)...]
            if after.isEmpty {
                portText = nil
            } else {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = text
            portText = nil
        }
        guard !host.isEmpty else { return nil }
        let port: Int
        if let portText {
            guard (1...5).contains(portText.utf8.count), portText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let value = Int(portText), (1...65535).contains(value)
            else { return nil }
            port = value
        } else {
            guard let defaultPort else { return nil }
            port = defaultPort
        }
        return (host.lowercased(), port)
    }

    /// The address `host` is written as, when it is an IP literal: bracketed, canonical IPv4 or IPv6
    /// text, or the integer and dotted forms `inet_aton` reads (`2130706433`, `0x7f.1`, `017700000001`),
    /// which smuggle addresses past name checks. `isLiteral` is true for all of these; `address` is
    /// set when the text parses as a canonical address.
    static func literal(_ host: String) -> (isLiteral: Bool, address: IPAddress?) {
        var name = Substring(host)
        if name.hasSuffix(".") { name = name.dropLast() }
        if name.hasPrefix("[") || name.contains(":") { return (true, IPAddress(String(name))) }
        if let address = IPAddress(String(name)) { return (true, address) }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let numeric =
            labels.count <= 4
            && labels.allSatisfy { label in
                if label.hasPrefix("0x") {
                    return label.dropFirst(2).utf8.allSatisfy {
                        ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66)
                    }
                }
                return !label.isEmpty && label.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
            }
        return (numeric, nil)
    }
}
