/// What the policy engine says about a request. Every case carries the explanation of which rule
/// decided it.
public enum PolicyDecision: Sendable, Hashable, CustomStringConvertible {
    /// The explanation type carried by every case.
    public typealias Explanation = PolicyExplanation

    /// Every scope is granted and nothing needs approval (or a matching approval was given).
    case allow(Explanation)
    /// A scope is denied (or not granted anywhere), or the tool id is not acceptable. An approval
    /// never turns this into `allow`.
    case deny(reason: String, Explanation)
    /// Every scope is granted, but a human must approve this exact call first.
    case needsApproval(reason: String, Explanation)

    /// The explanation.
    public var explanation: Explanation {
        switch self {
        case .allow(let e), .deny(_, let e), .needsApproval(_, let e): return e
        }
    }

    /// The reason for a deny or a needed approval; nil for allow.
    public var reason: String? {
        switch self {
        case .allow: return nil
        case .deny(let reason, _), .needsApproval(let reason, _): return reason
        }
    }

    /// Whether the call may run now.
    public var isAllowed: Bool {
        if case .allow = self { return true }
        return false
    }

    /// Whether the call may not run, approved or not.
    public var isDenied: Bool {
        if case .deny = self { return true }
        return false
    }

    /// The wire error code when the call may not run: `POLICY_DENIED` or `APPROVAL_REQUIRED`.
    public var errorCode: String? {
        switch self {
        case .allow: return nil
        case .deny: return "POLICY_DENIED"
        case .needsApproval: return "APPROVAL_REQUIRED"
        }
    }

    /// `deny: <reason>` followed by the explanation.
    public var description: String {
        switch self {
        case .allow(let e): return "allow\n\(e)"
        case .deny(let reason, let e): return "deny: \(reason)\n\(e)"
        case .needsApproval(let reason, let e): return "needs approval: \(reason)\n\(e)"
        }
    }
}
