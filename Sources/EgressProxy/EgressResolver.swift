import Egress
import NIOCore

/// Turns a host name into the addresses the proxy may try, in the order to try them.
///
/// The proxy resolves once per connection and never caches, so a name that changes its answer
/// (DNS rebinding) is checked again on every connection.
public protocol EgressResolver: Sendable {
    /// The addresses `host` (a lowercase name without a trailing dot) resolves to.
    ///
    /// - Throws: Any error when the name cannot be resolved (an empty answer counts as a failure too).
    func resolve(host: String) async throws -> [IPAddress]

    /// The same answer as a future completed on `loop`: what the proxy calls. The default runs
    /// ``resolve(host:)`` in a task; a resolver with threads of its own (``SystemResolver``) answers
    /// without the Swift concurrency pool, so a busy pool can never delay a lookup.
    func resolve(host: String, on loop: any EventLoop) -> EventLoopFuture<[IPAddress]>
}

extension EgressResolver {
    public func resolve(host: String, on loop: any EventLoop) -> EventLoopFuture<[IPAddress]> {
        let promise = loop.makePromise(of: [IPAddress].self)
        promise.completeWithTask { try await resolve(host: host) }
        return promise.futureResult
    }
}
