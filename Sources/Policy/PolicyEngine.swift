import Egress

/// Decides whether a tool call may run, from the workspace, project and user policies.
///
/// The rules (see `docs/POLICY.md`):
/// 1. **Scopes.** For each requested scope, the narrowest level with a grant about that scope that
///    applies to the tool decides; within that level a deny beats any allow, however specific the
///    allow's tool glob. A scope no level speaks about is denied. The tool id must be a dotted
///    lowercase name, or the request is denied.
/// 2. **Deny first.** Any denied scope makes the decision `deny`; approvals are not consulted.
/// 3. **Approval.** Otherwise approval is needed when the tool has `externalWrite`, risk `high`, a
///    scope any level lists in `elevatedScopes`, or safe mode is on at any level.
/// 4. **Approvals.** A needed approval is satisfied by an approval for the same tool id, version and
///    canonical-input SHA-256 that is valid at `now`.
/// 5. Otherwise `allow`.
///
/// The engine is a value: it never reads files or clocks.
public struct PolicyEngine: Sendable, Hashable {
    /// The approval lifetime when no level sets `approvalTTLSeconds` (one hour).
    public static let defaultApprovalTTLSeconds: Int64 = 3600

    /// The workspace policy (narrowest), if any.
    public var workspace: PolicyFile?
    /// The project policy, if any.
    public var project: PolicyFile?
    /// The user policy (widest), if any.
    public var user: PolicyFile?

    /// An engine over up to three policies; a missing level says nothing.
    ///
    /// - Parameters:
    ///   - workspace: The workspace policy.
    ///   - project: The project policy.
    ///   - user: The user policy.
    public init(workspace: PolicyFile? = nil, project: PolicyFile? = nil, user: PolicyFile? = nil) {
        self.workspace = workspace
        self.project = project
        self.user = user
    }

    /// The policy at `level`, if there is one.
    public func policy(at level: PolicyLevel) -> PolicyFile? {
        switch level {
        case .workspace: return workspace
        case .project: return project
        case .user: return user
        }
    }

    /// The present policies, narrowest first.
    private var levels: [(source: PolicySource, file: PolicyFile)] {
        PolicyLevel.allCases.compactMap { level in
            policy(at: level).map { (PolicySource(level: level, path: $0.path), $0) }
        }
    }

    // MARK: Merged settings

    /// The narrowest level that turns safe mode on; nil when safe mode is off. Safe mode is on when
    /// any level says `"safeMode": true` (a wider level cannot be switched off by a narrower one).
    public var safeModeSource: PolicySource? { levels.first { $0.file.safeMode == true }?.source }

    /// Whether safe mode is on (every call needs approval).
    public var safeMode: Bool { safeModeSource != nil }

    /// The narrowest level listing `scope` in `elevatedScopes`; nil when it is not elevated.
    /// Elevated scopes are the union across levels: no level can un-elevate a scope another elevates.
    ///
    /// - Parameter scope: A scope name.
    /// - Returns: Where it is elevated, or nil.
    public func elevation(of scope: String) -> PolicySource? {
        levels.first { $0.file.elevatedScopes.contains(scope) }?.source
    }

    /// Every elevated scope (the union across levels), sorted.
    public var elevatedScopes: [String] { Set(levels.flatMap(\.file.elevatedScopes)).sorted() }

    /// The narrowest level that sets `allowUnsignedPackages`; nil when none does.
    public var allowUnsignedPackagesSource: PolicySource? {
        levels.first { $0.file.allowUnsignedPackages != nil }?.source
    }

    /// Whether unsigned packages may be installed: like a grant, the narrowest level that sets it
    /// decides; false when no level does.
    public var allowUnsignedPackages: Bool {
        levels.first { $0.file.allowUnsignedPackages != nil }?.file.allowUnsignedPackages ?? false
    }

    /// The tools pinned at any level, each once: where two levels pin the same id, the narrowest
    /// level's pin (and version) wins. In level order (narrowest first), then file order.
    public var pins: [(pin: PolicyPin, source: PolicySource)] {
        var seen = Set<String>()
        var result: [(pin: PolicyPin, source: PolicySource)] = []
        for level in levels {
            for pin in level.file.pins where seen.insert(pin.id).inserted { result.append((pin, level.source)) }
        }
        return result
    }

    /// The lifetime of new approvals, in seconds: the smallest `approvalTTLSeconds` any level sets
    /// (a safeguard, so the strictest wins), else ``defaultApprovalTTLSeconds``.
    public var approvalTTLSeconds: Int64 {
        levels.compactMap(\.file.approvalTTLSeconds).min() ?? PolicyEngine.defaultApprovalTTLSeconds
    }

    // MARK: Decisions

    /// How `scope` is ruled on for `toolID`: the narrowest level with an applicable grant decides,
    /// a deny beating any allow at that level; denied when no level has one.
    ///
    /// - Parameters:
    ///   - scope: A scope name.
    ///   - toolID: The tool's id.
    /// - Returns: The ruling, citing the deciding grant and the ones it overrides.
    public func ruling(for scope: String, toolID: String) -> ScopeRuling {
        var decided: PolicyRuleReference?
        var overridden: [PolicyRuleReference] = []
        for (source, file) in levels {
            var matching: [PolicyRuleReference] = []
            for (index, grant) in file.grants.enumerated() where grant.applies(to: scope, toolID: toolID) {
                matching.append(
                    PolicyRuleReference(
                        source: source, grantIndex: index, scope: scope, effect: grant.effect,
                        toolGlob: grant.matchingGlob(for: toolID)?.text, reason: grant.reason))
            }
            guard !matching.isEmpty else { continue }
            if decided == nil {
                let winner = matching.firstIndex { $0.effect == .deny } ?? 0
                decided = matching[winner]
                matching.remove(at: winner)
            }
            overridden += matching
        }
        guard let decided else { return ScopeRuling(scope: scope, effect: .deny, decidedBy: nil) }
        return ScopeRuling(scope: scope, effect: decided.effect, decidedBy: decided, overridden: overridden)
    }

    /// The hosts the policy opens to `toolID` (DESIGN §11, decision 63): for each of `scopes` the policy
    /// allows the tool, the `hosts` of the allow grants at the level that decided the scope — the
    /// narrowest level speaking about it, as for the scope itself — so a workspace that names hosts
    /// narrows what a wider level opened, and a deciding deny opens none. In file order, each once.
    ///
    /// - Parameters:
    ///   - toolID: The tool's id.
    ///   - scopes: The scopes its manifest declares.
    /// - Returns: The hosts; empty when no deciding grant names any.
    public func grantedHosts(toolID: String, scopes: [String]) -> [EgressRule] {
        var hosts: [EgressRule] = []
        for scope in scopes {
            let ruling = ruling(for: scope, toolID: toolID)
            guard ruling.effect == .allow, let decider = ruling.decidedBy?.source else { continue }
            for (source, file) in levels where source == decider {
                for grant in file.grants where grant.effect == .allow && grant.applies(to: scope, toolID: toolID) {
                    for rule in grant.hosts ?? [] where !hosts.contains(rule) { hosts.append(rule) }
                }
            }
        }
        return hosts
    }

    /// Decides `request` without consulting any approval.
    ///
    /// - Parameter request: The call.
    /// - Returns: `deny`, `needsApproval` or `allow`, with the explanation.
    public func evaluate(_ request: PolicyRequest) -> PolicyDecision {
        evaluate(request, approvals: [Approval](), now: PolicyTimestamp(secondsSinceEpoch: 0))
    }

    /// Decides `request`, letting a matching approval that is valid at `now` satisfy a needed
    /// approval. An approval never overrides a deny.
    ///
    /// - Parameters:
    ///   - request: The call.
    ///   - approvals: Approvals to consider (only exact key matches count).
    ///   - now: The current time.
    /// - Returns: The decision with its explanation.
    public func evaluate(_ request: PolicyRequest, approvals: [Approval], now: PolicyTimestamp) -> PolicyDecision {
        let (provisional, key) = judge(request)
        guard case .needsApproval(let reason, var explanation) = provisional else { return provisional }
        let candidates = approvals.filter { $0.key == key }
        if let approval = candidates.first(where: { $0.isValid(at: now) }) {
            explanation.approval = approval
            return .allow(explanation)
        }
        explanation.staleApprovals = candidates
        return .needsApproval(reason: reason, explanation)
    }

    /// Decides `request`, asking `store` for approvals only when one is needed.
    ///
    /// - Parameters:
    ///   - request: The call.
    ///   - approvals: The approval store.
    ///   - now: The current time.
    /// - Returns: The decision with its explanation.
    /// - Throws: `APPROVAL_STORE_FAILED` when the store throws (the call must not run).
    public func evaluate(
        _ request: PolicyRequest, approvals store: some ApprovalStore, now: PolicyTimestamp
    ) throws(PolicyError) -> PolicyDecision {
        let (provisional, key) = judge(request)
        guard case .needsApproval = provisional else { return provisional }
        let found: [Approval]
        do {
            found = try store.approvals(for: key)
        } catch {
            throw PolicyError(code: .approvalStoreFailed, message: "could not look up approvals for \(key): \(error)")
        }
        return evaluate(request, approvals: found, now: now)
    }

    /// An approval of exactly `request`, granted at `now` and expiring after `ttlSeconds` (by default
    /// the policy's ``approvalTTLSeconds``).
    ///
    /// - Parameters:
    ///   - request: The call being approved.
    ///   - approvedBy: Who approves.
    ///   - now: The grant time.
    ///   - ttlSeconds: Lifetime override, in seconds.
    /// - Returns: The approval (record it in an ``ApprovalStore``).
    public func approval(
        for request: PolicyRequest, approvedBy: String, at now: PolicyTimestamp, ttlSeconds: Int64? = nil
    ) -> Approval {
        Approval(
            key: request.approvalKey, grantedAt: now,
            expiresAt: now.adding(seconds: ttlSeconds ?? approvalTTLSeconds), approvedBy: approvedBy)
    }

    /// The decision before approvals: deny, needsApproval or allow; plus the request's approval key.
    private func judge(_ request: PolicyRequest) -> (PolicyDecision, ApprovalKey) {
        let digest = request.inputDigest
        let key = ApprovalKey(
            toolID: request.toolID, toolVersion: request.toolVersion, inputDigest: digest,
            packageDigest: request.packageDigest, user: request.user)

        var seen = Set<String>()
        let scopes = request.scopes.filter { seen.insert($0).inserted }
        let idProblem =
            PolicyToolGlob.isValidToolID(request.toolID)
            ? nil
            : "tool id \"\(request.toolID)\" is not a dotted lowercase name (segments of a-z, 0-9, '_', '-'; at most "
                + "\(PolicyToolGlob.maximumLength) bytes)"
        let rulings = scopes.map { ruling(for: $0, toolID: request.toolID) }

        var triggers: [ApprovalTrigger] = []
        if request.externalWrite { triggers.append(.externalWrite) }
        if request.risk == .high { triggers.append(.highRisk) }
        for scope in scopes {
            if let source = elevation(of: scope) { triggers.append(.elevatedScope(scope, source)) }
        }
        if let source = safeModeSource { triggers.append(.safeMode(source)) }

        let explanation = PolicyExplanation(
            request: request, inputDigest: digest, toolIDProblem: idProblem, scopes: rulings,
            approvalTriggers: triggers)

        var denials: [String] = []
        if let idProblem { denials.append(idProblem) }
        for ruling in rulings where !ruling.isAllowed {
            if let rule = ruling.decidedBy {
                denials.append("scope \(ruling.scope) is denied by \(rule)")
            } else {
                denials.append("scope \(ruling.scope) is not granted at any level (deny by default)")
            }
        }
        if !denials.isEmpty { return (.deny(reason: denials.joined(separator: "; "), explanation), key) }
        if !triggers.isEmpty {
            let reason = "approval required: " + triggers.map(\.description).joined(separator: "; ")
            return (.needsApproval(reason: reason, explanation), key)
        }
        return (.allow(explanation), key)
    }
}
