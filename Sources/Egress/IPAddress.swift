/// An IPv4 or IPv6 address, parsed only from its canonical text forms: four decimal octets for IPv4
/// (`203.0.113.7`; no octal, hex, short or integer forms such as `0x7f.1` or `2130706433`, which some
/// resolvers and `inet_aton` accept and which have been used to smuggle loopback past host checks), and
/// RFC 4291 text for IPv6 (`::1`, `2001:db8::7`, `::ffff:192.0.2.1`; a zone `%eth0` is refused).
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(UInt32)
    case v6(UInt64, UInt64)

    /// Parses `text` (an IPv6 address may be written in brackets, `[::1]`); nil for anything else.
    public init?(_ text: String) {
        var body = Substring(text)
        if body.hasPrefix("["), body.hasSuffix("]") { body = body.dropFirst().dropLast() }
        if let v4 = Self.parseV4(body) {
            self = .v4(v4)
        } else if let v6 = Self.parseV6(body) {
            self = .v6(v6.0, v6.1)
        } else {
            return nil
        }
    }

    /// The IPv4 address an IPv6 one carries (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`,
    /// NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::`), which is where a packet to it really goes;
    /// nil for an IPv4 address or an IPv6 one that carries none.
    public var embeddedV4: UInt32? {
        guard case .v6(let high, let low) = self else { return nil }
        if high == 0, low >> 32 == 0xFFFF { return UInt32(truncatingIfNeeded: low) }  // ::ffff:0:0/96
        if high == 0, low >> 32 == 0, low > 1 { return UInt32(truncatingIfNeeded: low) }  // ::/96 (deprecated)
        if high == 0x0064_FF9B_0000_0000, low >> 32 == 0 { return UInt32(truncatingIfNeeded: low) }  // 64:ff9b::/96
        if high >> 48 == 0x2002 { return UInt32(truncatingIfNeeded: high >> 16) }  // 2002::/16
        return nil
    }

    /// The canonical text: dotted decimal, or RFC 5952 IPv6 (lowercase, the longest zero run as `::`).
    public var description: String {
        switch self {
        case .v4(let value):
            return [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xFF) }.joined(separator: ".")
        case .v6(let high, let low):
            let groups = (0..<8).map { index -> UInt16 in
                let word = index < 4 ? high : low
                return UInt16(truncatingIfNeeded: word >> UInt64(48 - 16 * (index % 4)))
            }
            // RFC 5952: the longest run (of two or more) of zero groups becomes `::`, the first on a tie.
            var best = (start: -1, length: 0)
            var index = 0
            while index < 8 {
                if groups[index] == 0 {
                    var end = index
                    while end < 8 && groups[end] == 0 { end += 1 }
                    if end - index > best.length && end - index >= 2 { best = (index, end - index) }
                    index = end
                } else {
                    index += 1
                }
            }
            let hex = groups.map { String($0, radix: 16) }
            guard best.start >= 0 else { return hex.joined(separator: ":") }
            let head = hex[..<best.start].joined(separator: ":")
            let tail = hex[(best.start + best.length)...].joined(separator: ":")
            return head + "::" + tail
        }
    }

    /// Four decimal octets 0…255, no leading zeros (`010` is octal to some parsers).
    static func parseV4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.utf8.count), part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                part.utf8.count == 1 || part.utf8.first != 0x30, let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    /// RFC 4291 §2.2 text: eight groups of 1–4 hex digits, one `::` at most, an IPv4 tail allowed.
    static func parseV6(_ text: Substring) -> (UInt64, UInt64)? {
        guard text.utf8.count >= 2, text.utf8.count <= 45, !text.contains("%") else { return nil }
        let halves = text.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String, allowV4Tail: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if allowV4Tail, index == pieces.count - 1, piece.contains(".") {
                    guard let v4 = parseV4(piece) else { return nil }
                    result += [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
                    continue
                }
                guard (1...4).contains(piece.utf8.count), let group = UInt16(piece, radix: 16),
                    piece.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) })
                else { return nil }
                result.append(group)
            }
            return result
        }
        var all: [UInt16]
        if halves.count == 2 {
            guard let head = groups(halves[0], allowV4Tail: false), let tail = groups(halves[1], allowV4Tail: true),
                head.count + tail.count <= 7
            else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let only = groups(halves[0], allowV4Tail: true), only.count == 8 else { return nil }
            all = only
        }
        let high = all[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let low = all[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        return (high, low)
    }
}
