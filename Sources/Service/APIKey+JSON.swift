import Access
import JSON

extension APIKey {
    /// The wire form of a key (`keys list --json`, the HTTP key resource): `id`, `name`, `user`,
    /// `createdAt`, `lastUsedAt` and `revokedAt` (ms since the epoch, or null), `revoked`. Never the
    /// secret or its hash: the value holds neither.
    public var json: JSONValue {
        [
            "id": .string(id), "name": .string(name), "user": .string(user), "createdAt": .integer(createdAtMs),
            "lastUsedAt": lastUsedAtMs.map { .integer($0) } ?? .null,
            "revokedAt": revokedAtMs.map { .integer($0) } ?? .null, "revoked": .bool(isRevoked),
        ]
    }
}
