/// One host a tool may reach through the egress proxy (DESIGN §11): an exact host name
/// (`api.example.com`), every name below a domain (`*.example.org`, which does not match
/// `example.org` itself), or any host name (`*`), and one port (443 when none is written).
///
/// `*` is what a general tool (a web fetcher) declares: in a manifest it reaches only the hosts a
/// policy grants it (decision 63); in a policy grant or on `omega-exec jail --egress` it means any host
/// name, still only at public addresses.
///
/// Only host names: an IP address is refused (the proxy resolves names itself and checks what they
/// resolve to), as are names with an all-numeric last label (`2130706433`, `0x7f.1` forms some
/// resolvers read as addresses), a wildcard anywhere but as the whole first label, or a wildcard over a
/// single label (`*.com`). Names are compared in lowercase without a trailing dot; non-ASCII names
/// must be written in their `xn--` form.
public struct EgressRule: Sendable, Hashable, CustomStringConvertible {
    /// The port used when a rule or a request names none.
    public static let defaultPort = 443

    /// The lowercase name, without `*.` for a wildcard; empty for any host (`*`).
    public let host: String
    /// Whether the rule covers the names below `host` (written `*.host`), or every name (`*`).
    public let wildcard: Bool
    /// The port.
    public let port: Int

    /// Whether the rule is `*` (any host name on its port).
    public var isAnyHost: Bool { host.isEmpty }

    /// Parses `host`, `host:port`, `*.domain`, `*.domain:port`, `*` or `*:port`.
    ///
    /// - Throws: ``EgressRuleError`` saying what is wrong with the text.
    public init(parsing text: String) throws(EgressRuleError) {
        guard !text.isEmpty, text.utf8.count <= 260 else { throw EgressRuleError(expected: "1–260 characters") }
        var name = Substring(text)
        var port = Self.defaultPort
        if let colon = name.lastIndex(of: ":") {
            let digits = name[name.index(after: colon)...]
            guard !digits.isEmpty, digits.utf8.count <= 5, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let value = Int(digits), (1...65535).contains(value)
            else { throw EgressRuleError(expected: "a port from 1 to 65535 after ':'") }
            port = value
            name = name[..<colon]
        }
        if name == "*" {
            self.host = ""
            self.wildcard = true
            self.port = port
            return
        }
        var wildcard = false
        if name.hasPrefix("*.") {
            wildcard = true
            name = name.dropFirst(2)
        }
        let host = try Self.hostName(String(name))
        if wildcard && !host.contains(".") {
            throw EgressRuleError(expected: "a wildcard over a domain of two labels or more (not *.\(host))")
        }
        self.host = host
        self.wildcard = wildcard
        self.port = port
    }

    /// Whether a connection to `host` (a name, as the tool asked) on `port` is covered.
    public func allows(host requested: String, port requestedPort: Int) -> Bool {
        guard requestedPort == port, let name = try? Self.hostName(requested) else { return false }
        if isAnyHost { return true }
        if wildcard { return name.hasSuffix("." + host) }
        return name == host
    }

    /// The rule as a manifest writes it (the port only when it is not 443).
    public var description: String {
        (isAnyHost ? "*" : (wildcard ? "*." : "") + host) + (port == Self.defaultPort ? "" : ":\(port)")
    }

    /// `text` as a lowercase host name without a trailing dot: 1–253 characters, labels of 1–63 letters,
    /// digits and inner hyphens, the last label not all digits; an IP address is refused.
    ///
    /// - Throws: ``EgressRuleError`` naming what is wrong.
    public static func hostName(_ text: String) throws(EgressRuleError) -> String {
        var name = text.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        if IPAddress(name) != nil || name.hasPrefix("[") {
            throw EgressRuleError(expected: "a host name, not an IP address")
        }
        guard !name.isEmpty, name.utf8.count <= 253 else {
            throw EgressRuleError(expected: "a host name of 1–253 characters")
        }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.utf8.count),
                label.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }),
                label.utf8.first != 0x2D, label.utf8.last != 0x2D
            else {
                throw EgressRuleError(
                    expected: "a host name: labels of letters, digits and inner hyphens (xn-- for other scripts)")
            }
        }
        if let last = labels.last, last.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            throw EgressRuleError(expected: "a host name, not a number (its last label is all digits)")
        }
        return name
    }
}

/// Why a text is not an egress rule or a host name.
public struct EgressRuleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the text should have been (`a port from 1 to 65535 after ':'`), for a caller to word its own
    /// message (`… expected X, got Y`).
    public let expected: String

    init(expected: String) { self.expected = expected }

    /// `expected …`.
    public var message: String { "expected " + expected }

    /// ``message``.
    public var description: String { message }
}
