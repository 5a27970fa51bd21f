import Credentials
import Foundation
import JSON
import Jail
import Policy
import RunStorage
import Schema
import ToolPackage

/// Asks the policy engine about this exact call; grants an approval given with the call, or pauses
/// with `APPROVAL_REQUIRED` (the details name the tool, scopes, risk and the input and package digests).
struct PolicyStage: PipelineStage {
    static let step = PipelineStep.policy

    func run(_ context: RunContext, runner: ToolRunner) async throws(OmegaError) {
        let engine = try EgressGrants.engine(runner.configuration)
        let request = Self.request(context)
        let now = PolicyTimestamp.now()
        var decision: PolicyDecision
        do {
            decision = try engine.evaluate(request, approvals: runner.store, now: now)
        } catch {
            throw OmegaError(.internalError, "cannot look up approvals: \(error)")
        }
        let manifest = context.tool.manifest
        if case .needsApproval(let reason, _) = decision, let approver = context.approvedBy {
            let approval = engine.approval(for: request, approvedBy: approver, at: now)
            // A harness's approval (omega-exec test) counts for this run only; a human's is kept.
            if context.keepsApproval {
                do {
                    try runner.store.record(approval)
                } catch {
                    throw OmegaError(.internalError, "cannot record the approval: \(error)")
                }
            }
            try runner.record(
                context,
                .approvalGranted(
                    approvedBy: approver, inputDigest: request.inputDigest, packageDigest: request.packageDigest,
                    kept: context.keepsApproval, reason: reason, expiresAt: approval.expiresAt?.secondsSinceEpoch))
            decision = engine.evaluate(request, approvals: [approval], now: now)
        } else if case .needsApproval = decision, !context.keepsApproval,
            let earlier = runApproval(context, request, engine, runner)
        {
            // Approved earlier in this same run for this run only (a conversation's single-use
            // approval), and resumed by that same single-use flow: a later pause of the run (for
            // credentials) does not ask again. A resume that keeps approvals (the CLI, MCP) never borrows
            // a run-only one (e.g. the contract-test harness's). The policy is still evaluated afresh: a
            // deny added since, or the approval's expiry, wins.
            decision = engine.evaluate(request, approvals: [earlier], now: now)
        }
        // A tool whose `*` the policy opens to no host may not run (and nobody is asked to approve it).
        let egress = EgressGrants.rules(for: manifest, engine: engine)
        if let refusal = EgressGrants.refusal(for: manifest, rules: egress), !decision.isDenied {
            try runner.record(
                context, .policyChecked(decision: "deny", reason: "no_hosts_granted", scopes: nil, approvedBy: nil))
            throw refusal
        }
        switch decision {
        case .allow(let explanation):
            try runner.record(
                context,
                .policyChecked(
                    decision: "allow", reason: nil, scopes: manifest.scopes,
                    approvedBy: explanation.approval?.approvedBy))
        case .deny(let reason, _):
            try runner.record(context, .policyChecked(decision: "deny", reason: reason, scopes: nil, approvedBy: nil))
            throw OmegaError(
                .policyDenied, "\(manifest.id) may not run: \(reason)",
                details: ["reason": .string(reason), "scopes": .array(manifest.scopes.map { .string($0) })])
        case .needsApproval(let reason, _):
            var details: [String: JSONValue] = [
                "toolId": .string(manifest.id), "toolVersion": .string(manifest.version.description),
                "inputDigest": .string(request.inputDigest), "packageDigest": .string(request.packageDigest),
                "scopes": .array(manifest.scopes.map { .string($0) }),
                "risk": .string(manifest.risk.level.rawValue), "externalWrite": .bool(manifest.risk.externalWrite),
                "reason": .string(reason),
            ]
            // The hosts it may reach now (DESIGN §11): what a person approves along with the input.
            if !manifest.egress.isEmpty { details["egress"] = .array(egress.map { .string($0.description) }) }
            try runner.record(
                context, .policyChecked(decision: "needs_approval", reason: reason, scopes: nil, approvedBy: nil))
            try runner.record(context, .approvalRequested(details: details))
            throw OmegaError(
                .approvalRequired, "\(manifest.id)@\(manifest.version) needs a human's approval: \(reason)",
                details: details.merging(["hint": "Approve this exact call, then resume the run"]) { a, _ in a })
        }
    }

    /// The approval granted earlier in this run (an `approval.granted` event not kept in the store) for
    /// exactly this input and package, dated when it was granted; nil when there is none.
    func runApproval(_ context: RunContext, _ request: PolicyRequest, _ engine: PolicyEngine, _ runner: ToolRunner)
        -> Approval?
    {
        // Only for the user the run was approved for: a resume with another user's credentials asks again.
        guard let record = try? runner.store.run(id: context.runID), (record.user ?? "local") == request.user,
            let events = try? runner.store.events(runID: context.runID, after: 0)
        else { return nil }
        guard
            let granted = events.last(where: { event in
                event.type == .approvalGranted && event.data["kept"]?.boolValue == false
                    && event.data["inputDigest"]?.stringValue == request.inputDigest
                    && event.data["packageDigest"]?.stringValue == request.packageDigest
            }), let approver = granted.data["approvedBy"]?.stringValue
        else { return nil }
        return engine.approval(
            for: request, approvedBy: approver, at: PolicyTimestamp(secondsSinceEpoch: granted.timestampMs / 1000))
    }

    /// The policy question for this call; approvals are bound to its input and package digests.
    static func request(_ context: RunContext) -> PolicyRequest {
        let manifest = context.tool.manifest
        var request = PolicyRequest(
            toolID: manifest.id, toolVersion: manifest.version.description, scopes: manifest.scopes,
            risk: PolicyRequest.RiskLevel(rawValue: manifest.risk.level.rawValue) ?? .high,
            externalWrite: manifest.risk.externalWrite, readOnly: manifest.risk.readOnly, input: context.input)
        // Approvals are bound to this exact package too: a look-alike claiming the id cannot reuse them.
        request.packageDigest = context.tool.packageDigest
        // …and to the user whose credentials it runs with: one user's approval never covers another's call.
        request.user = context.user ?? "local"
        return request
    }
}
