import Dispatch
import Jail

/// Removes used outboxes off the run's critical path. Detaching a tmpfs waits for an RCU grace
/// period (milliseconds on a busy host), and nothing a caller sees depends on it: the artifacts were
/// copied out before. ``drain()`` waits for pending removals (the CLI calls it before exiting);
/// whatever a dead process left is removed at the next start.
final class OutboxReaper: Sendable {
    private let queue = DispatchQueue(label: "omega.outbox-reaper", qos: .utility)
    private let group = DispatchGroup()

    /// Queues `outbox` for removal.
    func reap(_ outbox: JailOutbox) {
        queue.async(group: group) { outbox.remove() }
    }

    /// Waits until every queued removal is done.
    func drain() { group.wait() }
}
