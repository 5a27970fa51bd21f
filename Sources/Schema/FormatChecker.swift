/// Hand-written checkers for the `format` values the validator can assert (no Foundation). With
/// ``SchemaOptions/assertFormats`` off (the default) formats are annotations and none of this runs.
enum FormatChecker {
    /// The formats with a checker; other format names are always annotations.
    enum Kind: String {
        case dateTime = "date-time", date, time, duration, email, hostname, ipv4, ipv6, uri
        case uriReference = "uri-reference", uuid, regex
        case jsonPointer = "json-pointer", relativeJSONPointer = "relative-json-pointer"
    }

    /// True when `string` is a valid `kind` (formats apply to strings only).
    static func check(_ kind: Kind, _ string: String) -> Bool {
        let s = Array(string.utf8)
        switch kind {
        case .dateTime: return isDateTime(s)
        case .date: return isDate(s[...])
        case .time: return isTime(s[...])
        case .duration: return isDuration(s)
        case .email: return isEmail(s)
        case .hostname: return isHostname(s[...])
        case .ipv4: return isIPv4(s[...])
        case .ipv6: return isIPv6(s[...])
        case .uri: return isURI(s, requireScheme: true)
        case .uriReference: return isURI(s, requireScheme: false)
        case .uuid: return isUUID(s)
        case .regex: return (try? ECMARegex(string)) != nil
        case .jsonPointer: return isJSONPointer(s[...])
        case .relativeJSONPointer: return isRelativeJSONPointer(s)
        }
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    private static func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20 >= 97 && b | 0x20 <= 102) }
    private static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) >= 97 && (b | 0x20) <= 122 }

    /// The decimal value of `count` ASCII digits at `from`, or nil.
    private static func number(_ s: ArraySlice<UInt8>, _ from: Int, _ count: Int) -> Int? {
        guard from + count <= s.endIndex, from >= s.startIndex else { return nil }
        var v = 0
        for i in from..<(from + count) {
            guard isDigit(s[i]) else { return nil }
            v = v * 10 + Int(s[i] - 48)
        }
        return v
    }

    // MARK: dates and times (RFC 3339)

    static func isDate(_ s: ArraySlice<UInt8>) -> Bool {
        let b = s.startIndex
        guard s.count == 10, s[b + 4] == UInt8(ascii: "-"), s[b + 7] == UInt8(ascii: "-"),
            let year = number(s, b, 4), let month = number(s, b + 5, 2), let day = number(s, b + 8, 2),
            (1...12).contains(month), day >= 1
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= days[month - 1]
    }

    static func isTime(_ s: ArraySlice<UInt8>) -> Bool {
        let b = s.startIndex
        guard s.count >= 9, s[b + 2] == UInt8(ascii: ":"), s[b + 5] == UInt8(ascii: ":"),
            let hour = number(s, b, 2), let minute = number(s, b + 3, 2), let second = number(s, b + 6, 2),
            hour <= 23, minute <= 59, second <= 60
        else { return false }
        var i = b + 8
        if s[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < s.endIndex, isDigit(s[i]) { i += 1 }
            guard i > start else { return false }
        }
        guard i < s.endIndex else { return false }
        var offsetMinutes = 0
        if s[i] | 0x20 == UInt8(ascii: "z") {
            guard i + 1 == s.endIndex else { return false }
        } else if s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
            guard s.endIndex - i == 6, s[i + 3] == UInt8(ascii: ":"), let oh = number(s, i + 1, 2),
                let om = number(s, i + 4, 2), oh <= 23, om <= 59
            else { return false }
            offsetMinutes = (oh * 60 + om) * (s[i] == UInt8(ascii: "+") ? 1 : -1)
        } else {
            return false
        }
        if second == 60 {
            // A leap second is only valid at 23:59:60 UTC.
            let utc = ((hour * 60 + minute - offsetMinutes) % 1440 + 1440) % 1440
            return utc == 23 * 60 + 59
        }
        return true
    }

    static func isDateTime(_ s: [UInt8]) -> Bool {
        guard s.count > 11, s[10] | 0x20 == UInt8(ascii: "t") else { return false }
        return isDate(s[0..<10]) && isTime(s[11...])
    }

    /// ISO 8601 durations as RFC 3339 Appendix A writes them: `P1Y2M3DT4H5M6S`, `P4W`.
    static func isDuration(_ s: [UInt8]) -> Bool {
        guard s.first == UInt8(ascii: "P"), s.count > 1 else { return false }
        var i = 1
        var inTime = false
        var order = "YMD"[...]
        var sawAny = false
        var sawTimeElement = false
        var sawWeek = false
        var sawAnyInPart = false
        while i < s.count {
            if s[i] == UInt8(ascii: "T") {
                guard !inTime else { return false }
                inTime = true
                order = "HMS"
                sawAnyInPart = false
                i += 1
                guard i < s.count else { return false }
                continue
            }
            let start = i
            while i < s.count, isDigit(s[i]) { i += 1 }
            guard i > start, i < s.count else { return false }
            let unit = Character(Unicode.Scalar(s[i]))
            i += 1
            if unit == "W" {
                guard !inTime, !sawAny, i == s.count else { return false }
                sawWeek = true
                sawAny = true
                continue
            }
            // Elements are contiguous: Y may only be followed by M, M by D; H by M, M by S.
            guard let position = order.firstIndex(of: unit), !sawAnyInPart || position == order.startIndex else {
                return false
            }
            order = order[order.index(after: position)...]
            sawAnyInPart = true
            sawAny = true
            if inTime { sawTimeElement = true }
        }
        if inTime && !sawTimeElement { return false }
        return sawAny || sawWeek
    }

    // MARK: names and addresses

    static func isHostname(_ s: ArraySlice<UInt8>) -> Bool {
        guard !s.isEmpty, s.count <= 253 else { return false }
        for label in s.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.count <= 63, label.first != UInt8(ascii: "-"),
                label.last != UInt8(ascii: "-"),
                label.allSatisfy({ isAlpha($0) || isDigit($0) || $0 == UInt8(ascii: "-") })
            else { return false }
            // "xn--" labels must be (plausible) punycode; `--` in positions 3-4 is reserved otherwise.
            if label.count >= 4, label[label.startIndex + 2] == UInt8(ascii: "-"),
                label[label.startIndex + 3] == UInt8(ascii: "-"),
                !(label.prefix(2).map { $0 | 0x20 } == [UInt8(ascii: "x"), UInt8(ascii: "n")])
            {
                return false
            }
        }
        return true
    }

    static func isIPv4(_ s: ArraySlice<UInt8>) -> Bool {
        let parts = s.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(isDigit) else { return false }
            if part.count > 1 && part.first == UInt8(ascii: "0") { return false }
            guard let v = number(part, part.startIndex, part.count), v <= 255 else { return false }
        }
        return true
    }

    static func isIPv6(_ s: ArraySlice<UInt8>) -> Bool {
        guard !s.isEmpty, s.count <= 45 else { return false }
        var body = s
        var groupsNeeded = 8
        // A trailing dotted IPv4 counts as two groups.
        if let lastColon = s.lastIndex(of: UInt8(ascii: ":")), s[(lastColon + 1)...].contains(UInt8(ascii: ".")) {
            guard isIPv4(s[(lastColon + 1)...]) else { return false }
            body = s[...lastColon]
            if body.count >= 2, body.suffix(2).elementsEqual([UInt8(ascii: ":"), UInt8(ascii: ":")]) {
            } else {
                body = body.dropLast()
            }
            groupsNeeded = 6
        }
        let doubleColon = body.indices.first { i in
            i + 1 < body.endIndex && body[i] == UInt8(ascii: ":") && body[i + 1] == UInt8(ascii: ":")
        }
        func groups(_ part: ArraySlice<UInt8>) -> Int? {
            if part.isEmpty { return 0 }
            var count = 0
            for g in part.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4, g.allSatisfy(isHex) else { return nil }
                count += 1
            }
            return count
        }
        if let dc = doubleColon {
            let left = body[..<dc]
            let right = body[(dc + 2)...]
            guard let l = groups(left), let r = groups(right)
            else { return false }
            return l + r < groupsNeeded
        }
        return groups(body) == groupsNeeded
    }

    static func isEmail(_ s: [UInt8]) -> Bool {
        guard let at = s.lastIndex(of: UInt8(ascii: "@")), at > 0, at < s.count - 1 else { return false }
        let local = s[..<at]
        let domain = s[(at + 1)...]
        if local.first == UInt8(ascii: "\"") {
            guard local.count >= 2, local.last == UInt8(ascii: "\"") else { return false }
        } else {
            let atext = Set("!#$%&'*+-/=?^_`{|}~".utf8)
            guard local.first != UInt8(ascii: "."), local.last != UInt8(ascii: "."),
                !zip(local, local.dropFirst()).contains(where: { $0 == UInt8(ascii: ".") && $1 == UInt8(ascii: ".") }),
                local.allSatisfy({ isAlpha($0) || isDigit($0) || atext.contains($0) || $0 == UInt8(ascii: ".") })
            else { return false }
        }
        if domain.first == UInt8(ascii: "[") {
            guard domain.last == UInt8(ascii: "]") else { return false }
            let literal = domain.dropFirst().dropLast()
            if literal.starts(with: "IPv6:".utf8) { return isIPv6(literal.dropFirst(5)) }
            return isIPv4(literal)
        }
        return isHostname(domain)
    }

    // MARK: URIs and identifiers

    static func isURI(_ s: [UInt8], requireScheme: Bool) -> Bool {
        let unreserved = Set("-._~".utf8)
        let allowed = Set(":/?#[]@!$&'()*+,;=".utf8)
        var i = 0
        while i < s.count {
            let b = s[i]
            if b == UInt8(ascii: "%") {
                guard i + 2 < s.count, isHex(s[i + 1]), isHex(s[i + 2]) else { return false }
                i += 3
                continue
            }
            guard isAlpha(b) || isDigit(b) || unreserved.contains(b) || allowed.contains(b) else { return false }
            i += 1
        }
        let text = String(decoding: s, as: UTF8.self)
        let reference = URIReference(text)
        if requireScheme && reference.scheme == nil { return false }
        if reference.scheme == nil, let colon = s.firstIndex(of: UInt8(ascii: ":")),
            !s[..<colon].contains(UInt8(ascii: "/")), !s[..<colon].contains(UInt8(ascii: "?")),
            !s[..<colon].contains(UInt8(ascii: "#"))
        {
            return false  // a first segment with a colon but not a valid scheme
        }
        if let authority = reference.authority {
            var host = Substring(authority)
            if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
            if host.hasPrefix("[") {
                guard let close = host.firstIndex(of: "]") else { return false }
                let rest = host[host.index(after: close)...]
                guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isASCIIDigitCharacter)) else {
                    return false
                }
            } else {
                if let colon = host.lastIndex(of: ":") {
                    guard host[host.index(after: colon)...].allSatisfy(\.isASCIIDigitCharacter) else { return false }
                    host = host[..<colon]
                }
                if host.contains("[") || host.contains("]") { return false }
            }
        } else if (reference.path + (reference.query ?? "")).contains("[") {
            return false
        }
        if (reference.fragment ?? "").contains("#") { return false }
        return true
    }

    static func isUUID(_ s: [UInt8]) -> Bool {
        guard s.count == 36 else { return false }
        for (i, b) in s.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard b == UInt8(ascii: "-") else { return false }
            } else if !isHex(b) {
                return false
            }
        }
        return true
    }

    static func isJSONPointer(_ s: ArraySlice<UInt8>) -> Bool {
        if s.isEmpty { return true }
        guard s.first == UInt8(ascii: "/") else { return false }
        var i = s.startIndex
        while i < s.endIndex {
            if s[i] == UInt8(ascii: "~") {
                guard i + 1 < s.endIndex, s[i + 1] == UInt8(ascii: "0") || s[i + 1] == UInt8(ascii: "1") else {
                    return false
                }
            }
            i += 1
        }
        return true
    }

    static func isRelativeJSONPointer(_ s: [UInt8]) -> Bool {
        var i = 0
        while i < s.count, isDigit(s[i]) { i += 1 }
        guard i > 0, !(i > 1 && s[0] == UInt8(ascii: "0")) else { return false }
        if i == s.count { return true }
        if s[i] == UInt8(ascii: "#") { return i + 1 == s.count }
        return isJSONPointer(s[i...])
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { ("0"..."9").contains(self) }
}
