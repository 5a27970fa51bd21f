import ToolRuntime

/// Where `omega-exec serve` listens: a host (an IPv4 or IPv6 literal, or a name) and a TCP port.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The host as the socket layer takes it: `127.0.0.1`, `::1` (no brackets), `localhost`.
    public var host: String
    /// The TCP port, 0–65535; 0 lets the system pick one (the real port is reported once bound).
    public var port: Int

    /// An address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// The default, `127.0.0.1:8080` (loopback only).
    public static let standard = ListenAddress(host: "127.0.0.1", port: 8080)

    /// Whether the host is an IPv6 literal (it is bracketed in URLs).
    public var isIPv6: Bool { host.contains(":") }

    /// Whether the host is a wildcard (`0.0.0.0`, `::`): every interface.
    public var isWildcard: Bool { host == "0.0.0.0" || host == "::" }

    /// The host as it appears in a URL (`[::1]` for IPv6).
    public var urlHost: String { isIPv6 ? "[" + host + "]" : host }

    /// `host:port` (`[::1]:8080` for IPv6).
    public var description: String { "\(urlHost):\(port)" }

    /// Parses `HOST:PORT`: `127.0.0.1:8080`, `localhost:0`, `[::1]:8080`, `0.0.0.0:80`.
    ///
    /// - Parameter text: The `--listen` value.
    /// - Returns: The address (the host without brackets).
    /// - Throws: `INVALID_INPUT` with `details.field` `--listen` when the host or port is missing or malformed.
    public static func parse(_ text: String) throws(OmegaError) -> ListenAddress {
        func refuse(_ why: String) -> OmegaError {
            OmegaError(
                .invalidInput, "--listen: \(why) (expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080)",
                details: ["field": "--listen"])
        }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw refuse("an IPv6 host needs its closing ]") }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw refuse("a port must follow the host after ':'") }
            portText = rest.dropFirst()
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }), host.contains(":")
            else { throw refuse("\"\(String(host.prefix(64)))\" is not an IPv6 address") }
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw refuse("no port given") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.isEmpty else { throw refuse("no host given") }
            guard !host.contains(":") else { throw refuse("write an IPv6 host in brackets") }
            guard host.count <= 253,
                host.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "-" })
            else { throw refuse("\"\(String(host.prefix(64)))\" is not a host name or address") }
        }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(portText), port <= 65535
        else { throw refuse("the port must be a number from 0 to 65535") }
        return ListenAddress(host: String(host), port: port)
    }
}
