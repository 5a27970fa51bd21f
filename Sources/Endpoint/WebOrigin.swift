import ToolRuntime

/// A web origin (`scheme://host[:port]`, RFC 6454) in the form browsers send in `Origin`: scheme and
/// host lowercased, the default port (80 for http, 443 for https) left out.
public struct WebOrigin: Sendable, Hashable, CustomStringConvertible {
    /// `http` or `https`.
    public var scheme: String
    /// The host, lowercased; an IPv6 literal keeps its brackets (`[::1]`).
    public var host: String
    /// The port, nil when it is the scheme's default.
    public var port: Int?

    /// An origin; `port` is dropped when it is the scheme's default.
    public init(scheme: String, host: String, port: Int?) {
        self.scheme = scheme.lowercased()
        self.host = host.lowercased()
        let standard = self.scheme == "https" ? 443 : 80
        self.port = port == standard ? nil : port
    }

    /// `scheme://host[:port]`.
    public var description: String { scheme + "://" + host + (port.map { ":\($0)" } ?? "") }

    /// Parses an http(s) URL or origin (a path is allowed and ignored; a query, fragment or
    /// `user@` is not).
    ///
    /// - Parameters:
    ///   - text: The URL, e.g. `https://omega.example.com` or `http://127.0.0.1:8080/`.
    ///   - field: The option named in the error (`--allow-origin`, `--public-url`).
    /// - Throws: `INVALID_INPUT` with `details.field` set to `field`.
    public init(parsing text: String, field: String) throws(OmegaError) {
        guard let origin = Self.parse(text) else {
            throw OmegaError(
                .invalidInput,
                "\(field): \"\(String(text.prefix(128)))\" is not an http(s) URL (expected http[s]://HOST[:PORT])",
                details: ["field": .string(field)])
        }
        self = origin
    }

    /// Parses what a browser sends in `Origin` (or a URL); nil for `null`, other schemes and anything malformed.
    public static func parse(_ text: String) -> WebOrigin? {
        let lowered = text.lowercased()
        let scheme: String
        if lowered.hasPrefix("http://") {
            scheme = "http"
        } else if lowered.hasPrefix("https://") {
            scheme = "https"
        } else {
            return nil
        }
        var rest = Substring(lowered.dropFirst(scheme.count + 3))
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard !rest.isEmpty, !rest.contains(where: { "@?#\\ \t\r\n".contains($0) }) else { return nil }
        let host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[...close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
            guard host.dropFirst().dropLast().allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                return nil
            }
        } else {
            if let colon = rest.firstIndex(of: ":") {
                host = rest[..<colon]
                portText = rest[rest.index(after: colon)...]
            } else {
                host = rest
            }
            guard host.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "-" }) else {
                return nil
            }
        }
        guard !host.isEmpty, host.count <= 255 else { return nil }
        var port: Int?
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(portText), (1...65535).contains(value)
            else { return nil }
            port = value
        }
        return WebOrigin(scheme: scheme, host: String(host), port: port)
    }
}
