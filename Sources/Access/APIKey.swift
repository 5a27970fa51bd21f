/// An API key as it can be listed and rendered: who it is and whom it acts for, never its secret or
/// the secret's hash (those stay in ``AccessStore``; the secret is shown once, by
/// ``AccessStore/createKey(name:user:nowMs:)``).
public struct APIKey: Sendable, Hashable {
    /// `key_` followed by 16 lowercase hex digits; the hex digits also appear in the key's secret.
    public let id: String
    /// A human label: 1–64 characters of `A-Z a-z 0-9 . _ -` and space, not starting or ending with a
    /// space; unique among unrevoked keys.
    public let name: String
    /// The user the key acts for: 1–64 characters of `a-z 0-9 . _ -` (default ``defaultUser``).
    public let user: String
    /// When it was created, in milliseconds since the Unix epoch.
    public let createdAtMs: Int64
    /// When it last authenticated (ms since the epoch, kept to within a minute); nil when never.
    public let lastUsedAtMs: Int64?
    /// When it was revoked (ms since the epoch); nil while it is valid.
    public let revokedAtMs: Int64?

    /// The user a key acts for when none is named.
    public static let defaultUser = "local"

    /// A key record (as the store reads it).
    ///
    /// - Parameters:
    ///   - id: `key_` + 16 lowercase hex digits.
    ///   - name: The human label.
    ///   - user: The user the key acts for.
    ///   - createdAtMs: Creation time, ms since the epoch.
    ///   - lastUsedAtMs: Last authentication, ms since the epoch, or nil.
    ///   - revokedAtMs: Revocation time, ms since the epoch, or nil.
    public init(
        id: String, name: String, user: String, createdAtMs: Int64, lastUsedAtMs: Int64? = nil,
        revokedAtMs: Int64? = nil
    ) {
        self.id = id
        self.name = name
        self.user = user
        self.createdAtMs = createdAtMs
        self.lastUsedAtMs = lastUsedAtMs
        self.revokedAtMs = revokedAtMs
    }

    /// Whether the key was revoked (it then never authenticates again).
    public var isRevoked: Bool { revokedAtMs != nil }

    /// Whether `name` is a valid key name: 1–64 characters of `A-Z a-z 0-9 . _ -` and space, neither
    /// first nor last a space.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count), bytes.first != 0x20, bytes.last != 0x20 else { return false }
        return bytes.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_")
                || $0 == UInt8(ascii: "-") || $0 == 0x20
        }
    }

    /// Whether `user` is a valid user: 1–64 characters of `a-z 0-9 . _ -`.
    public static func isValidUser(_ user: String) -> Bool {
        let bytes = Array(user.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy {
            (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: ".")
                || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    /// Whether `id` has the form of a key id: `key_` + 16 lowercase hex digits.
    public static func isValidID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        return bytes.count == 20 && bytes.starts(with: "key_".utf8) && bytes[4...].allSatisfy(isLowercaseHex)
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
    }

    static func isLowercaseHex(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte)
    }
}
