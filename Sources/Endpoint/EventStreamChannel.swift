import AgentHost
import JSON
import Synchronization

/// The way from the host to one `POST /mcp` response: what the host sends during a call (progress
/// notifications, elicitation requests) and then its reply, queued in order for the one writer that
/// turns them into Server-Sent Events.
///
/// ``send(_:)`` returns once the message was written to the connection (true) or could not be
/// (false: the client is gone, the channel closed), so the host's progress relay stops and cancels
/// the call. Keepalive comments are queued by a ticker while the response streams; at most one waits
/// at a time. ``close()`` refuses everything after it and answers every queued message with false.
final class EventStreamChannel: MCPOutbound {
    /// One thing to write.
    enum Item: Sendable {
        /// A message from the host, and who waits to hear whether it was written.
        case message(JSONValue, CheckedContinuation<Bool, Never>)
        /// An SSE comment that keeps the connection (and proxies) awake and probes for a closed one.
        case keepalive
        /// The host's reply: the last item.
        case reply(MCPReply)
    }

    private struct State {
        var queue: [Item] = []
        var consumer: CheckedContinuation<Item?, Never>?
        var activity: CheckedContinuation<Void, Never>?
        var activityDeadlinePassed = false
        var hasReply = false
        var replyTaken = false
        var closed = false
    }

    private let state = Mutex(State())

    /// Queues `message` and waits until it is written; false when the channel is closed.
    func send(_ message: JSONValue) async -> Bool {
        await withCheckedContinuation { acknowledgement in
            if !enqueue(.message(message, acknowledgement)) { acknowledgement.resume(returning: false) }
        }
    }

    /// Queues the host's reply (ignored once closed).
    func finish(with reply: MCPReply) { _ = enqueue(.reply(reply)) }

    /// Queues a keepalive unless one is already waiting or the reply is queued.
    func keepalive() {
        let consumer = state.withLock { state -> CheckedContinuation<Item?, Never>? in
            guard !state.closed, !state.hasReply,
                !state.queue.contains(where: { if case .keepalive = $0 { return true } else { return false } })
            else { return nil }
            if let consumer = state.consumer {
                state.consumer = nil
                return consumer
            }
            state.queue.append(.keepalive)
            return nil
        }
        consumer?.resume(returning: .keepalive)
    }

    private func enqueue(_ item: Item) -> Bool {
        var isReply = false
        if case .reply = item { isReply = true }
        let (accepted, consumer, activity) = state.withLock {
            state -> (Bool, CheckedContinuation<Item?, Never>?, CheckedContinuation<Void, Never>?) in
            guard !state.closed, !state.hasReply else { return (false, nil, nil) }
            if isReply { state.hasReply = true }
            let activity = state.activity
            state.activity = nil
            if let consumer = state.consumer {
                state.consumer = nil
                if isReply { state.replyTaken = true }
                return (true, consumer, activity)
            }
            state.queue.append(item)
            return (true, nil, activity)
        }
        consumer?.resume(returning: item)
        activity?.resume()
        return accepted
    }

    /// The next item to write, waiting for one; nil once the channel is closed.
    func next() async -> Item? {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Item?? in
                if !state.queue.isEmpty {
                    let item = state.queue.removeFirst()
                    if case .reply = item { state.replyTaken = true }
                    return .some(item)
                }
                if state.closed { return .some(nil) }
                state.consumer = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// The reply, when the host gives it within `duration` before sending anything else (a call
    /// refused at once: it can be answered as plain JSON with its own HTTP status); the channel is
    /// closed then. Nil when a message came first or the time passed: the response streams.
    func immediateReply(within duration: Duration) async -> MCPReply? {
        let timer = Task { [self] in
            try? await Task.sleep(for: duration)
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.activityDeadlinePassed = true
                defer { state.activity = nil }
                return state.activity
            }
            waiter?.resume()
        }
        defer { timer.cancel() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if !state.queue.isEmpty || state.closed || state.activityDeadlinePassed { return true }
                state.activity = continuation
                return false
            }
            if now { continuation.resume() }
        }
        return state.withLock { state -> MCPReply? in
            guard state.queue.count == 1, case .reply(let reply) = state.queue[0] else { return nil }
            state.queue.removeAll()
            state.replyTaken = true
            state.closed = true
            return reply
        }
    }

    /// Closes the channel: queued messages are answered false, the writer's wait ends, nothing more is
    /// accepted.
    ///
    /// - Returns: true when the host's reply had not been taken yet (the call may still be running and
    ///   should be cancelled).
    @discardableResult
    func close() -> Bool {
        let (wasRunning, consumer, pending, activity) = state.withLock {
            state -> (Bool, CheckedContinuation<Item?, Never>?, [Item], CheckedContinuation<Void, Never>?) in
            guard !state.closed else { return (false, nil, [], nil) }
            state.closed = true
            let pending = state.queue
            state.queue = []
            defer {
                state.consumer = nil
                state.activity = nil
            }
            return (!state.replyTaken, state.consumer, pending, state.activity)
        }
        consumer?.resume(returning: nil)
        activity?.resume()
        for case .message(_, let acknowledgement) in pending { acknowledgement.resume(returning: false) }
        return wasRunning
    }
}
