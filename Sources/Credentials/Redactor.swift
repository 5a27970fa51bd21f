import JSON

/// Removes secrets from text before it reaches a log, an event, an error or stored output.
///
/// Two layers: the exact values of the run's secret variables (and their base64, URL-encoded and
/// lowercased forms, which tools commonly emit) become `[REDACTED:NAME]`, and well-known credential formats
/// (OpenAI and Stripe keys, GitHub and Slack tokens, AWS access keys, Google API keys, JWTs, bearer
/// tokens, PEM private keys) become `[REDACTED:<kind>]`, whoever they belong to.
public struct Redactor: Sendable {
    private let replacements: [(needle: String, label: String)]

    /// Secret values shorter than this are not searched for (they would mangle ordinary text); the
    /// vault and the executor refuse such values instead.
    public static let minimumSecretLength = 4

    /// A redactor for these `NAME → value` secrets.
    public init(secrets: [String: String] = [:]) {
        var replacements: [(String, String)] = []
        for (name, value) in secrets where value.utf8.count >= Self.minimumSecretLength {
            let label = "[REDACTED:\(name)]"
            replacements.append((value, label))
            let encoded = ByteEncoding.base64(Array(value.utf8))
            replacements.append((encoded, label))
            let trimmed = String(encoded.prefix { $0 != "=" })
            if trimmed != encoded, trimmed.utf8.count >= Self.minimumSecretLength {
                replacements.append((trimmed, label))
            }
            let percent = Self.percentEncoded(value)
            if percent != value { replacements.append((percent, label)) }
            // Host names are recorded lowercased (the egress proxy's records): a tool that spells a
            // secret into one must not get it past the redactor by its case.
            let lower = value.lowercased()
            if lower != value { replacements.append((lower, label)) }
        }
        // Longest first, so a secret that contains another is replaced whole.
        self.replacements = replacements.sorted { $0.0.utf8.count > $1.0.utf8.count }
    }

    /// Literal text each well-known format must contain, by kind: a string holding none of them
    /// cannot match, so the (slow) regex is not run on it. Most strings skip every regex.
    static let triggers: [String: [String]] = [
        "private-key": ["PRIVATE KEY-----"], "jwt": ["eyJ"], "openai-key": ["sk-"], "stripe-key": ["_live_", "_test_"],
        "github-token": ["gh", "github_pat_"], "slack-token": ["xox"], "aws-access-key": ["AKIA", "ASIA"],
        "google-api-key": ["AIza"], "bearer-token": ["earer "],
    ]

    /// The well-known formats, in the order they are applied.
    nonisolated(unsafe) static let patterns: [(kind: String, regex: Regex<Substring>)] = [
        (
            "private-key",
            try! Regex(#"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----"#)
        ),
        ("jwt", try! Regex(#"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"#)),
        ("openai-key", try! Regex(#"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"#)),
        ("stripe-key", try! Regex(#"(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}"#)),
        ("github-token", try! Regex(#"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"#)),
        ("slack-token", try! Regex(#"xox[abposr]-[A-Za-z0-9\-]{10,}"#)),
        ("aws-access-key", try! Regex(#"(?:AKIA|ASIA)[0-9A-Z]{16}"#)),
        ("google-api-key", try! Regex(#"AIza[0-9A-Za-z_\-]{35}"#)),
        ("bearer-token", try! Regex(#"[Bb]earer [A-Za-z0-9._~+/=\-]{16,}"#)),
    ]

    /// `text` with every secret value and every well-known credential replaced.
    public func redact(_ text: String) -> String {
        var result = text
        for (needle, label) in replacements where result.contains(needle) {
            result = result.replacing(needle, with: label)
        }
        for (kind, regex) in Self.patterns where Self.mayMatch(kind, result) && result.contains(regex) {
            // A bearer token keeps its scheme word, so the header stays readable.
            let label = kind == "bearer-token" ? "Bearer [REDACTED:\(kind)]" : "[REDACTED:\(kind)]"
            result = result.replacing(regex, with: label)
        }
        return result
    }

    /// `value` with every string (keys too: a tool may use a secret as a key) redacted. Keys that
    /// collide once redacted keep one value.
    public func redact(json value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s): return .string(redact(s))
        case .array(let items): return .array(items.map { redact(json: $0) })
        case .object(let members):
            return .object(
                Dictionary(members.map { (redact($0.key), redact(json: $0.value)) }, uniquingKeysWith: { a, _ in a }))
        default: return value
        }
    }

    /// `bytes` with every secret value (and its encoded forms) replaced by its label, searched as raw
    /// bytes so binary files are covered; nil when none occurs.
    public func redactSecretValues(in bytes: [UInt8]) -> [UInt8]? {
        var current = bytes
        var changed = false
        for (needle, label) in replacements {
            let pattern = Array(needle.utf8)
            guard !pattern.isEmpty, current.count >= pattern.count else { continue }
            var out: [UInt8] = []
            out.reserveCapacity(current.count)
            var index = 0
            var found = false
            while index < current.count {
                if current[index] == pattern[0], index + pattern.count <= current.count,
                    current[index..<(index + pattern.count)].elementsEqual(pattern)
                {
                    out.append(contentsOf: label.utf8)
                    index += pattern.count
                    found = true
                } else {
                    out.append(current[index])
                    index += 1
                }
            }
            if found {
                current = out
                changed = true
            }
        }
        return changed ? current : nil
    }

    /// Whether `text` still holds any secret value or well-known credential.
    public func containsSecret(_ text: String) -> Bool {
        replacements.contains { text.contains($0.needle) }
            || Self.patterns.contains { Self.mayMatch($0.kind, text) && text.contains($0.regex) }
    }

    /// Whether `text` contains a literal every match of `kind` contains.
    private static func mayMatch(_ kind: String, _ text: String) -> Bool {
        guard let literals = triggers[kind] else { return true }
        return literals.contains { text.utf8.count >= $0.utf8.count && text.contains($0) }
    }

    private static func percentEncoded(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }
}
