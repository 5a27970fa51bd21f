import Synchronization

/// A rendezvous between producers and one consumer: ``put(_:)`` returns only once the consumer took
/// the item (true) or the handoff closed (false), so producers never run ahead of the consumer and
/// nothing accumulates. Several producers may wait at once; they are served in arrival order.
final class Handoff<Item: Sendable>: Sendable {
    private struct State {
        var waiting: [(item: Item, taken: CheckedContinuation<Bool, Never>)] = []
        var consumer: CheckedContinuation<Item?, Never>?
        var closed = false
    }

    private let state = Mutex(State())

    /// Offers `item`; returns when it was taken (true) or the handoff closed first (false).
    func put(_ item: Item) async -> Bool {
        await withCheckedContinuation { (taken: CheckedContinuation<Bool, Never>) in
            let action = state.withLock { state -> (CheckedContinuation<Item?, Never>?, Bool) in
                if state.closed { return (nil, false) }
                if let consumer = state.consumer {
                    state.consumer = nil
                    return (consumer, true)
                }
                state.waiting.append((item, taken))
                return (nil, true)
            }
            switch action {
            case (nil, false): taken.resume(returning: false)
            case (let consumer?, _):
                consumer.resume(returning: item)
                taken.resume(returning: true)
            default: break
            }
        }
    }

    /// The next item, waiting for one; nil once closed.
    func take() async -> Item? {
        await withCheckedContinuation { (consumer: CheckedContinuation<Item?, Never>) in
            let ready = state.withLock { state -> (Item, CheckedContinuation<Bool, Never>)?? in
                if state.closed { return .some(nil) }
                if !state.waiting.isEmpty { return .some(state.waiting.removeFirst()) }
                state.consumer = consumer
                return nil
            }
            switch ready {
            case .some(.some(let (item, taken))):
                taken.resume(returning: true)
                consumer.resume(returning: item)
            case .some(.none): consumer.resume(returning: nil)
            case .none: break
            }
        }
    }

    /// Refuses every later item and answers every waiting one with false (and a waiting consumer with nil).
    func close() {
        let (waiting, consumer) = state.withLock { state in
            state.closed = true
            defer {
                state.waiting = []
                state.consumer = nil
            }
            return (state.waiting, state.consumer)
        }
        for entry in waiting { entry.taken.resume(returning: false) }
        consumer?.resume(returning: nil)
    }
}
