import Dispatch
import Jail

/// Removes used outboxes (and package copies) off the run's critical path. Detaching a tmpfs waits for an RCU grace
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

    /// Queues the removal of a run's private package copy.
    func reap(_ tool: ResolvedTool) {
        queue.async(group: group) { tool.release() }
    }

    /// Waits until every queued removal is done.
    func drain() { group.wait() }
}
