/// How one scope of a request was ruled on.
public struct ScopeRuling: Sendable, Hashable, CustomStringConvertible {
    /// The scope.
    public var scope: String
    /// The outcome for this scope.
    public var effect: PolicyEffect
    /// The grant that decided it; nil when no level says anything (denied by default).
    public var decidedBy: PolicyRuleReference?
    /// Other grants that matched but did not decide: allows beaten by a deny at the same level, and
    /// every matching grant at wider levels.
    public var overridden: [PolicyRuleReference]

    /// A ruling.
    ///
    /// - Parameters:
    ///   - scope: The scope.
    ///   - effect: The outcome.
    ///   - decidedBy: The deciding grant, nil for deny-by-default.
    ///   - overridden: Matching grants that did not decide.
    public init(
        scope: String, effect: PolicyEffect, decidedBy: PolicyRuleReference?, overridden: [PolicyRuleReference] = []
    ) {
        self.scope = scope
        self.effect = effect
        self.decidedBy = decidedBy
        self.overridden = overridden
    }

    /// Whether the scope is granted.
    public var isAllowed: Bool { effect == .allow }

    /// `scope write_files: deny by project policy (/p/policy.json) grants[1]: …` or
    /// `scope send_email: deny (not granted at any level)`.
    public var description: String {
        guard let decidedBy else { return "scope \(scope): deny (not granted at any level)" }
        var out = "scope \(scope): \(effect) by \(decidedBy)"
        for rule in overridden { out += "\n    overrides \(rule)" }
        return out
    }
}

/// A reason a request needs a human's approval.
public enum ApprovalTrigger: Sendable, Hashable, CustomStringConvertible {
    /// The tool writes outside the jail (`externalWrite: true`).
    case externalWrite
    /// The tool's risk is `high`.
    case highRisk
    /// The request needs a scope some policy marks as elevated (the narrowest level listing it).
    case elevatedScope(String, PolicySource)
    /// Safe mode is on (the narrowest level turning it on).
    case safeMode(PolicySource)

    /// A human-readable sentence fragment.
    public var description: String {
        switch self {
        case .externalWrite: return "the tool writes outside the jail (externalWrite)"
        case .highRisk: return "the tool's risk is high"
        case .elevatedScope(let scope, let source): return "scope \(scope) is elevated by the \(source)"
        case .safeMode(let source): return "safe mode is on in the \(source)"
        }
    }
}

/// Everything behind a decision: the request's facts, how each scope was ruled on, what triggered
/// approval and which approval (if any) was used.
public struct PolicyExplanation: Sendable, Hashable, CustomStringConvertible {
    /// The tool's id.
    public var toolID: String
    /// The tool's version.
    public var toolVersion: String
    /// The request's declared risk.
    public var risk: PolicyRequest.RiskLevel
    /// Whether the request declared `externalWrite`.
    public var externalWrite: Bool
    /// Whether the request declared `readOnly` (never relaxes a decision).
    public var readOnly: Bool
    /// Lowercase hex SHA-256 of the canonical input (what an approval must be bound to).
    public var inputDigest: String
    /// Why the tool id itself was refused (not a dotted lowercase name), if it was.
    public var toolIDProblem: String?
    /// One ruling per distinct requested scope, in request order.
    public var scopes: [ScopeRuling]
    /// Why approval is needed; empty when it is not. Filled in even when a deny came first.
    public var approvalTriggers: [ApprovalTrigger]
    /// The approval that let the request through, for an `allow` that needed one.
    public var approval: Approval?
    /// Approvals with exactly this request's key that did not count (expired, or not yet valid).
    public var staleApprovals: [Approval]

    /// An explanation (normally built by ``PolicyEngine``).
    ///
    /// - Parameters:
    ///   - request: The request explained.
    ///   - inputDigest: Its input digest.
    ///   - toolIDProblem: Why its tool id was refused.
    ///   - scopes: The scope rulings.
    ///   - approvalTriggers: What requires approval.
    ///   - approval: The approval used.
    ///   - staleApprovals: Matching approvals that did not count.
    public init(
        request: PolicyRequest, inputDigest: String, toolIDProblem: String? = nil, scopes: [ScopeRuling],
        approvalTriggers: [ApprovalTrigger], approval: Approval? = nil, staleApprovals: [Approval] = []
    ) {
        toolID = request.toolID
        toolVersion = request.toolVersion
        risk = request.risk
        externalWrite = request.externalWrite
        readOnly = request.readOnly
        self.inputDigest = inputDigest
        self.toolIDProblem = toolIDProblem
        self.scopes = scopes
        self.approvalTriggers = approvalTriggers
        self.approval = approval
        self.staleApprovals = staleApprovals
    }

    /// The rulings that denied a scope.
    public var deniedScopes: [ScopeRuling] { scopes.filter { !$0.isAllowed } }

    /// A multi-line account, one fact per line.
    public var description: String {
        var lines = [
            "tool \(toolID)@\(toolVersion) (risk \(risk), externalWrite \(externalWrite), readOnly \(readOnly)), "
                + "input sha256:\(inputDigest)"
        ]
        if let toolIDProblem { lines.append("tool id refused: \(toolIDProblem)") }
        if scopes.isEmpty { lines.append("no scopes requested") }
        lines += scopes.map(\.description)
        if approvalTriggers.isEmpty {
            lines.append("approval: not needed")
        } else {
            lines.append("approval needed: " + approvalTriggers.map(\.description).joined(separator: "; "))
        }
        if let approval { lines.append("approval used: \(approval)") }
        for stale in staleApprovals { lines.append("approval not counted (expired or not yet valid): \(stale)") }
        return lines.joined(separator: "\n")
    }
}
