import Egress
import JSON
import Policy
import ToolPackage

/// The hosts one run may reach through the egress proxy (DESIGN §11, decision 63): the hosts its
/// manifest names, plus — when the manifest declares `*` on a port — the hosts the policy opens to the
/// tool on that port. A manifest's `*` never reaches a host by itself.
enum EgressGrants {
    /// The run's rules, each once, in order: the manifest's named hosts first, then the policy's.
    ///
    /// - Parameters:
    ///   - manifest: The tool's manifest.
    ///   - engine: The policy in force now.
    /// - Returns: The rules; empty for a tool without egress, or one whose `*` the policy opens to nothing.
    static func rules(for manifest: ToolManifest, engine: PolicyEngine) -> [EgressRule] {
        var rules = manifest.egress.filter { !$0.isAnyHost }
        let openPorts = Set(manifest.egress.filter(\.isAnyHost).map(\.port))
        guard !openPorts.isEmpty else { return rules }
        for rule in engine.grantedHosts(toolID: manifest.id, scopes: manifest.scopes)
        where openPorts.contains(rule.port) && !rules.contains(rule) {
            rules.append(rule)
        }
        return rules
    }

    /// `POLICY_DENIED` for a tool that asks for egress and may reach no host; nil otherwise.
    static func refusal(for manifest: ToolManifest, rules: [EgressRule]) -> OmegaError? {
        guard !manifest.egress.isEmpty, rules.isEmpty else { return nil }
        let ports = manifest.egress.map(\.description).joined(separator: ", ")
        return OmegaError(
            .policyDenied,
            "\(manifest.id) reaches only the hosts a policy grants it (\(ports)), and no policy grants it one: add \"hosts\" to an allow grant of one of its scopes (\(manifest.scopes.joined(separator: ", "))) for it",
            details: [
                "reason": "no_hosts_granted", "scopes": .array(manifest.scopes.map { .string($0) }),
                "egress": .array(manifest.egress.map { .string($0.description) }),
            ])
    }

    /// The policy in force now, as the policy step reads it.
    static func engine(_ configuration: RuntimeConfiguration) throws(OmegaError) -> PolicyEngine {
        do {
            return try PolicyLoader().load(
                workspace: configuration.workspacePolicy, project: configuration.projectPolicy,
                user: configuration.userPolicy)
        } catch {
            throw OmegaError(.policyDenied, "the policy cannot be read, so nothing may run: \(error)")
        }
    }
}
