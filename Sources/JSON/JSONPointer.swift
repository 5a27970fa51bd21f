/// A JSON Pointer (RFC 6901), used for the paths in every error: `/execution/command/0`.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible, Comparable {
    /// The unescaped reference tokens.
    public var tokens: [String]

    /// The root.
    public init() { tokens = [] }

    /// A pointer made of `tokens`.
    public init(tokens: [String]) { self.tokens = tokens }

    /// Parses `/a/b~1c` (the empty string is the root); nil when malformed.
    public init?(parsing text: String) {
        if text.isEmpty { tokens = []; return }
        guard text.hasPrefix("/") else { return nil }
        var result: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var iterator = raw.makeIterator()
            while let c = iterator.next() {
                if c == "~" {
                    switch iterator.next() {
                    case "0": token.append("~")
                    case "1": token.append("/")
                    default: return nil
                    }
                } else {
                    token.append(c)
                }
            }
            result.append(token)
        }
        tokens = result
    }

    /// This pointer extended by an object key or an array index.
    public func appending(_ token: String) -> JSONPointer { JSONPointer(tokens: tokens + [token]) }
    /// This pointer extended by an array index.
    public func appending(_ index: Int) -> JSONPointer { appending(String(index)) }

    /// `/a/b~1c` form.
    public var description: String {
        tokens.map { "/" + $0.replacingAll("~", "~0").replacingAll("/", "~1") }.joined()
    }

    /// Dotted form for humans (`execution.command[0]`); the root is `(root)`.
    public var dotted: String {
        guard !tokens.isEmpty else { return "(root)" }
        var out = ""
        for token in tokens {
            if let _ = Int(token), !out.isEmpty { out += "[\(token)]" } else { out += (out.isEmpty ? "" : ".") + token }
        }
        return out
    }

    /// The value this pointer designates in `document`, or nil.
    public func resolve(in document: JSONValue) -> JSONValue? {
        var current = document
        for token in tokens {
            switch current {
            case .object(let members):
                guard let next = members[token] else { return nil }
                current = next
            case .array(let items):
                guard let index = Int(token), index >= 0, index < items.count, String(index) == token else {
                    return nil
                }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    /// Orders pointers by their `/a/b` text (stable error listings).
    public static func < (lhs: JSONPointer, rhs: JSONPointer) -> Bool { lhs.description < rhs.description }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation).
    func replacingAll(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
