import Egress

/// What one run may reach through the egress proxy: the host rules its policy granted, and its caps.
public struct EgressGrant: Sendable, Equatable {
    /// The hosts and ports the run may connect to; a request matching none is refused (`not_granted`).
    public var rules: [EgressRule]
    /// The run's caps.
    public var limits: EgressLimits

    /// A grant of `rules` under `limits`.
    public init(rules: [EgressRule], limits: EgressLimits) {
        self.rules = rules
        self.limits = limits
    }

    /// Whether some rule covers the host name `host` (as the tool asked) on `port`.
    func allows(host: String, port: Int) -> Bool {
        rules.contains { $0.allows(host: host, port: port) }
    }
}
