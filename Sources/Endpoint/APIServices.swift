import Access
import Audit
import Conversations
import Foundation
import JSON
import Service
import Synchronization
import ToolRuntime

/// What the `/api` routes stand on: the conversations (and through them the pipeline and the
/// registry), the API keys, the rate limiter, the audit log and the metrics.
public final class APIServices: Sendable {
    public let conversations: ConversationService
    public let keys: KeyService
    public let limiter: RateLimiter
    /// Where the routes' audit records go (written off the request path, in order).
    public let auditQueue: AuditQueue
    /// The audit log.
    public var audit: AuditService { auditQueue.service }
    public let metrics: EndpointMetrics
    /// Open event streams per key (a key holds at most ``maximumStreamsPerKey`` at once).
    let streams = Mutex<[String: Int]>([:])
    /// When each key's use was last written to the audit log (at most once a minute per key).
    let lastKeyUseAudit = Mutex<[String: Int64]>([:])

    /// Refusals not yet written to the audit log, and when the last refusal record was written (ms): at
    /// most one `key.refused` record a second, counting the refusals since the one before, so requests
    /// without a key cannot flood the log (or hold its lock from those with one).
    let refusals = Mutex<(pending: Int, lastWrittenMs: Int64)>((0, 0))

    /// Most event streams one key may hold open at once.
    static let maximumStreamsPerKey = 64

    public init(
        conversations: ConversationService, keys: KeyService, limiter: RateLimiter, auditQueue: AuditQueue,
        metrics: EndpointMetrics
    ) {
        self.conversations = conversations
        self.keys = keys
        self.limiter = limiter
        self.auditQueue = auditQueue
        self.metrics = metrics
    }

    /// The pipeline.
    var service: OmegaService { conversations.service }
    /// The registry.
    var registry: RegistryService { conversations.registry }

    /// Claims a stream slot for `keyID`; false when it holds the most already.
    func openStream(keyID: String) -> Bool {
        streams.withLock { open in
            let count = open[keyID] ?? 0
            guard count < Self.maximumStreamsPerKey else { return false }
            open[keyID] = count + 1
            return true
        }
    }

    /// Frees a slot ``openStream(keyID:)`` claimed.
    func closeStream(keyID: String) {
        streams.withLock { open in
            let count = (open[keyID] ?? 1) - 1
            open[keyID] = count > 0 ? count : nil
        }
    }
}
