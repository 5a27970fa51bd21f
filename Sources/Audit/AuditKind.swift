/// What an audit record is about: a dotted lowercase name (`tool.call`, `key.revoked`).
///
/// A raw-value type with one constant per known kind rather than a closed `enum`: adding a kind is one
/// `static let` line, and a log written by a newer version (with kinds this one does not know) still
/// reads and verifies. ``init(rawValue:)`` accepts any well-formed name, so nothing else is written.
public struct AuditKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// A tool was called (`fields`: `runId`, `toolId`, `version`, `status`).
    public static let toolCall = AuditKind(known: "tool.call")
    /// A run read credentials from the vault (`fields`: the credentials' names, never their values).
    public static let credentialAccess = AuditKind(known: "credential.access")
    /// A credential was stored or replaced (`fields`: its name and scope).
    public static let credentialStore = AuditKind(known: "credential.store")
    /// An API key authenticated a request (`fields`: `route`, `method`, `httpStatus`).
    public static let keyUse = AuditKind(known: "key.use")
    /// A request presenting an API key was refused.
    public static let keyRefused = AuditKind(known: "key.refused")
    /// A request was refused by the rate limiter.
    public static let rateLimited = AuditKind(known: "rate.limited")
    /// An API key was created (`fields`: its name; never its secret).
    public static let keyCreated = AuditKind(known: "key.created")
    /// An API key was revoked.
    public static let keyRevoked = AuditKind(known: "key.revoked")

    /// Every kind this version writes, in declaration order.
    public static let known: [AuditKind] = [
        .toolCall, .credentialAccess, .credentialStore, .keyUse, .keyRefused, .rateLimited, .keyCreated,
        .keyRevoked,
    ]

    /// The name as written in the `kind` member of a record.
    public let rawValue: String

    /// A kind named `rawValue`: 1–64 bytes of dot-separated words of `a-z`, `0-9` and `_`, each
    /// starting with a letter (`tool.call`); nil otherwise.
    public init?(rawValue: String) {
        guard Self.isWellFormed(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    /// A constant of this file (well-formed by construction).
    private init(known rawValue: String) { self.rawValue = rawValue }

    /// The name.
    public var description: String { rawValue }

    /// Whether `name` is 1–64 bytes of dot-separated `[a-z][a-z0-9_]*` words.
    static func isWellFormed(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 64 else { return false }
        var atWordStart = true
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                atWordStart = false
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                if atWordStart { return false }
            case UInt8(ascii: "."):
                if atWordStart { return false }
                atWordStart = true
            default:
                return false
            }
        }
        return !atWordStart
    }
}
