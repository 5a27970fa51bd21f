/// Where approvals are kept. The executor backs this with its SQLite store; tests and the CLI use
/// ``InMemoryApprovalStore``.
///
/// Implementations return what they hold; the engine checks expiry and matching itself, so a store
/// that returns too much cannot widen an approval.
public protocol ApprovalStore: Sendable {
    /// The approvals recorded for exactly `key` (expired ones may be included).
    ///
    /// - Parameter key: Tool id, version and input digest.
    /// - Returns: The approvals with that key, in any order.
    /// - Throws: Whatever the backing store throws; the engine reports it as `APPROVAL_STORE_FAILED`.
    func approvals(for key: ApprovalKey) throws -> [Approval]

    /// Records an approval (another approval with the same key is kept as well).
    ///
    /// - Parameter approval: The approval to keep.
    /// - Throws: Whatever the backing store throws.
    func record(_ approval: Approval) throws

    /// Forgets every approval with `key`.
    ///
    /// - Parameter key: Tool id, version and input digest.
    /// - Returns: How many approvals were removed.
    /// - Throws: Whatever the backing store throws.
    @discardableResult
    func revoke(_ key: ApprovalKey) throws -> Int

    /// Forgets every approval that has expired at `now`.
    ///
    /// - Parameter now: The current time.
    /// - Returns: How many approvals were removed.
    /// - Throws: Whatever the backing store throws.
    @discardableResult
    func removeExpired(at now: PolicyTimestamp) throws -> Int
}
