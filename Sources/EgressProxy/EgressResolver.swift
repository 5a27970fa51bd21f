import Egress

/// Turns a host name into the addresses the proxy may try, in the order to try them.
///
/// The proxy resolves once per connection and never caches, so a name that changes its answer
/// (DNS rebinding) is checked again on every connection.
public protocol EgressResolver: Sendable {
    /// The addresses `host` (a lowercase name without a trailing dot) resolves to.
    ///
    /// - Throws: Any error when the name cannot be resolved (an empty answer counts as a failure too).
    func resolve(host: String) async throws -> [IPAddress]
}
