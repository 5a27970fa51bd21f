import ToolRuntime

/// The base URL of a model's server: `http` or `https`, a host, an optional port and an optional path,
/// nothing else (no user info, query or fragment).
///
/// Adapters append their endpoint's path to it (``appending(_:)``); the credential is only ever sent
/// to this host and port, since redirects are not followed.
public struct ModelServerURL: Sendable, Hashable, CustomStringConvertible {
    /// `http` or `https`.
    public let scheme: String
    /// The host as written (lower-cased; an IPv6 address keeps its brackets).
    public let host: String
    /// The port: the explicit one, else 80 for `http` and 443 for `https`.
    public let port: Int
    /// The path without a trailing `/` (empty for none).
    public let path: String
    /// Whether the port was written in the URL.
    private let explicitPort: Bool

    /// Parses a base URL.
    ///
    /// - Parameters:
    ///   - text: The URL (`https://api.openai.com/v1`, `http://127.0.0.1:8080`).
    ///   - field: The field it came from, named by the error (`model.baseURL`).
    /// - Throws: `INVALID_INPUT` naming the field when it is not an http(s) URL of that form.
    public init(parsing text: String, field: String = "baseURL") throws(OmegaError) {
        let invalid = OmegaError(
            .invalidInput,
            "\(field): expected an http(s) URL such as https://api.example.com/v1 (no user, query or fragment), got \"\(text.prefix(100))\""
        )
        let lowered = text.lowercased()
        let scheme: String
        if lowered.hasPrefix("https://") {
            scheme = "https"
        } else if lowered.hasPrefix("http://") {
            scheme = "http"
        } else {
            throw invalid
        }
        let rest = text.dropFirst(scheme.count + 3)
        guard !rest.contains(where: { $0 == "?" || $0 == "#" || $0 == "@" || $0 == " " || $0 == "\\" }),
            rest.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "\u{7F}" && $0.asciiValue! >= 0x20 })
        else { throw invalid }
        let authority = rest.prefix { $0 != "/" }
        var path = String(rest.dropFirst(authority.count))
        while path.hasSuffix("/") { path.removeLast() }
        guard !authority.isEmpty else { throw invalid }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid }
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid }
                portText = after.dropFirst()
            }
            guard host.count > 2, host.dropFirst().dropLast().allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." })
            else { throw invalid }
        } else {
            if let colon = authority.firstIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
            guard !host.isEmpty,
                host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_" })
            else { throw invalid }
        }
        var port = scheme == "https" ? 443 : 80
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCIIDigit),
                let value = Int(portText),
                (1...65535).contains(value)
            else { throw invalid }
            port = value
        }
        // A key sent in the clear crosses only this machine: plain http is for loopback servers alone.
        let hostName = host.lowercased()
        if scheme == "http",
            !(hostName == "localhost" || hostName == "[::1]" || hostName.hasPrefix("127."))
        {
            throw OmegaError(
                .invalidInput,
                "\(field): plain http is allowed only for a server on this machine (127.0.0.1, ::1, localhost); use https for \(hostName)",
                details: ["field": .string(field)])
        }
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port
        self.path = path
        self.explicitPort = portText != nil
    }

    /// `host:port`, as errors name the server (`api.openai.com:443`, `127.0.0.1:8080`).
    public var hostAndPort: String { "\(host):\(port)" }

    /// The URL as written, normalized: lower-case scheme and host, no trailing `/`.
    public var description: String {
        "\(scheme)://\(host)\(explicitPort ? ":\(port)" : "")\(path)"
    }

    /// This URL with `suffix` (starting with `/`) appended to its path.
    ///
    /// - Parameter suffix: The endpoint's path (`/chat/completions`).
    /// - Returns: The full URL as text.
    public func appending(_ suffix: String) -> String { description + suffix }
}

extension Character {
    /// Whether this is one of `0`…`9`.
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
