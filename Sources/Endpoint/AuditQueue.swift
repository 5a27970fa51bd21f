import Audit
import Dispatch
import JSON
import Service

/// Writes the endpoint's audit records on one thread of its own, in the order they were submitted,
/// so a request never waits for the log's lock and syncs (about 1–3 ms each) and the cooperative
/// thread pool never blocks on them. ``flush()`` returns once everything submitted before it is
/// written (shutdown, and tests that read the log).
public final class AuditQueue: Sendable {
    /// The log.
    public let service: AuditService
    private let queue = DispatchQueue(label: "omega.audit.writer", qos: .utility)

    public init(service: AuditService) { self.service = service }

    /// Queues one record (see ``AuditService/record(_:actor:fields:)``; a failure is logged there).
    public func submit(_ kind: AuditKind, actor: AuditActor, fields: [String: JSONValue] = [:]) {
        let service = self.service
        queue.async { _ = service.record(kind, actor: actor, fields: fields) }
    }

    /// Waits until every record submitted before this call is written.
    public func flush() { queue.sync {} }
}
