import GRDB
import Policy

/// The run store keeps approvals too (DESIGN §4: bound to tool id, version and input digest), so an
/// approval given in one process counts in another.
extension SQLiteRunStore {
    /// The SQLite implementation of this ``ApprovalStore`` requirement (see the protocol for the contract).
    public func approvals(for key: ApprovalKey) throws -> [Approval] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM approvals
                    WHERE tool_id = ? AND tool_version = ? AND input_digest = ? AND package_digest = ? AND user = ?
                    ORDER BY granted_at
                    """,
                arguments: [key.toolID, key.toolVersion, key.inputDigest, key.packageDigest, key.user]
            ).map { row in
                let expires: Int64? = row["expires_at"]
                return Approval(
                    key: key, grantedAt: PolicyTimestamp(secondsSinceEpoch: row["granted_at"]),
                    expiresAt: expires.map { PolicyTimestamp(secondsSinceEpoch: $0) }, approvedBy: row["approved_by"])
            }
        }
    }

    /// The SQLite implementation of this ``ApprovalStore`` requirement (see the protocol for the contract).
    public func record(_ approval: Approval) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO approvals (tool_id, tool_version, input_digest, package_digest, granted_at, expires_at,
                        approved_by, user)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    approval.key.toolID, approval.key.toolVersion, approval.key.inputDigest, approval.key.packageDigest,
                    approval.grantedAt.secondsSinceEpoch, approval.expiresAt?.secondsSinceEpoch, approval.approvedBy,
                    approval.key.user,
                ])
        }
    }

    /// The SQLite implementation of this ``ApprovalStore`` requirement (see the protocol for the contract).
    @discardableResult
    public func revoke(_ key: ApprovalKey) throws -> Int {
        try pool.write { db in
            try db.execute(
                sql: """
                    DELETE FROM approvals WHERE tool_id = ? AND tool_version = ? AND input_digest = ? AND package_digest = ?
                    """,
                arguments: [key.toolID, key.toolVersion, key.inputDigest, key.packageDigest])
            return db.changesCount
        }
    }

    /// The SQLite implementation of this ``ApprovalStore`` requirement (see the protocol for the contract).
    @discardableResult
    public func removeExpired(at now: PolicyTimestamp) throws -> Int {
        try pool.write { db in
            try db.execute(
                sql: "DELETE FROM approvals WHERE expires_at IS NOT NULL AND expires_at <= ?",
                arguments: [now.secondsSinceEpoch])
            return db.changesCount
        }
    }
}
