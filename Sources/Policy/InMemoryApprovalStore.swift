import Synchronization

/// An ``ApprovalStore`` in memory, safe to share between tasks (a `Mutex` guards it). Nothing
/// survives the process.
public final class InMemoryApprovalStore: ApprovalStore {
    private let state: Mutex<[ApprovalKey: [Approval]]>

    /// A store holding `approvals`.
    ///
    /// - Parameter approvals: Initial contents.
    public init(_ approvals: [Approval] = []) {
        state = Mutex(Dictionary(grouping: approvals, by: \.key))
    }

    /// The approvals recorded for exactly `key`.
    public func approvals(for key: ApprovalKey) -> [Approval] {
        state.withLock { $0[key] ?? [] }
    }

    /// Records an approval.
    public func record(_ approval: Approval) {
        state.withLock { $0[approval.key, default: []].append(approval) }
    }

    /// Forgets every approval with `key`; returns how many there were.
    @discardableResult
    public func revoke(_ key: ApprovalKey) -> Int {
        state.withLock { $0.removeValue(forKey: key)?.count ?? 0 }
    }

    /// Forgets every approval that has expired at `now`; returns how many there were.
    @discardableResult
    public func removeExpired(at now: PolicyTimestamp) -> Int {
        state.withLock { table in
            var removed = 0
            for (key, list) in table {
                let kept = list.filter { $0.expiresAt.map { now < $0 } ?? true }
                removed += list.count - kept.count
                table[key] = kept.isEmpty ? nil : kept
            }
            return removed
        }
    }

    /// Every approval held, in no particular order.
    public var all: [Approval] { state.withLock { Array($0.values.joined()) } }
}
