import GRDB

extension AccessStore {
    /// How stale ``APIKey/lastUsedAtMs`` may get before an authentication writes it again: at most one
    /// write per key per minute, so a busy client does not turn every request into a write.
    public static let lastUsedResolutionMs: Int64 = 60_000

    /// A digest no token has (64 hex digits, but not lowercase): compared against when the id is
    /// unknown, so that path does the same work as a wrong secret.
    private static let absentDigest = String(repeating: "X", count: 64)

    /// The key `bearer` authenticates.
    ///
    /// The token is parsed strictly (`omx_<16 hex>_<43 base64url>`, at most 200 bytes looked at), the key
    /// is looked up by the id in it, and the SHA-256 of the whole token is compared with the stored one in
    /// constant time; a revoked key is refused after the comparison. On success the key's last use is
    /// recorded when it is older than ``lastUsedResolutionMs`` (best effort: a failed write does not
    /// refuse the call).
    ///
    /// - Parameters:
    ///   - bearer: The token alone (the `Bearer ` scheme already removed; any leftover is refused).
    ///   - nowMs: The time of the call, ms since the epoch.
    /// - Returns: The key, with ``APIKey/lastUsedAtMs`` as now stored.
    /// - Throws: ``AccessError/unauthorized`` for every refusal (malformed, unknown, wrong or revoked): the
    ///   caller learns nothing about which. `INTERNAL_ERROR` (no token or id in its message) when the
    ///   database cannot be read.
    public func authenticate(bearer: String, nowMs: Int64) throws(AccessError) -> APIKey {
        guard let token = APIKeyToken(parsing: bearer) else { throw AccessError.unauthorized }
        let presented = token.digestHex
        let row: Row?
        do {
            row = try pool.read { db in
                try Row.fetchOne(
                    db, sql: "SELECT \(Self.keyColumns), secret_sha256 FROM api_keys WHERE id = ?",
                    arguments: [token.keyID])
            }
        } catch {
            // Not the caller's fault, and the same whatever the id: no hint about keys.
            throw failure("authenticate", error)
        }
        let stored: String = row?["secret_sha256"] ?? Self.absentDigest
        let matches = APIKeyToken.digestsEqual(presented, stored)
        guard matches, let row else { throw AccessError.unauthorized }
        let key = Self.key(row)
        guard !key.isRevoked else { throw AccessError.unauthorized }
        if let last = key.lastUsedAtMs, nowMs - last < Self.lastUsedResolutionMs { return key }
        // Conditional, so processes racing on the same key write it once; never un-revokes anything.
        let recorded = try? pool.write { db -> Bool in
            try db.execute(
                sql: """
                    UPDATE api_keys SET last_used_at = ?
                    WHERE id = ? AND revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at <= ?)
                    """,
                arguments: [nowMs, key.id, nowMs - Self.lastUsedResolutionMs])
            return db.changesCount == 1
        }
        guard recorded == true else { return key }
        return APIKey(
            id: key.id, name: key.name, user: key.user, createdAtMs: key.createdAtMs, lastUsedAtMs: nowMs,
            revokedAtMs: nil)
    }
}
