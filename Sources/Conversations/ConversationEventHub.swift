import Foundation
import Synchronization

/// Wakes the streams that tail a conversation's events when this process appends one, so a stream
/// does not poll while its message runs here; a stream still looks at the store at least every
/// ``ConversationService/pollInterval`` for events another process appended.
final class ConversationEventHub: Sendable {
    private struct Waiter {
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var versions: [String: UInt64] = [:]
        var waiters: [String: [UUID: Waiter]] = [:]
    }

    private let state = Mutex(State())

    /// How many events were announced for `conversationID` so far (compare before waiting).
    func version(of conversationID: String) -> UInt64 { state.withLock { $0.versions[conversationID] ?? 0 } }

    /// Announces a new event of `conversationID`: wakes every stream waiting on it.
    func notify(_ conversationID: String) {
        let woken = state.withLock { state -> [Waiter] in
            state.versions[conversationID, default: 0] &+= 1
            return Array((state.waiters.removeValue(forKey: conversationID) ?? [:]).values)
        }
        for waiter in woken { waiter.continuation.resume() }
    }

    /// Returns when an event of `conversationID` is announced after `seen` (at once when one already
    /// was), after `timeout`, or when the task is cancelled.
    func wait(for conversationID: String, after seen: UInt64, timeout: Duration) async {
        let id = UUID()
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.wake(conversationID, id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if (state.versions[conversationID] ?? 0) != seen || Task.isCancelled { return true }
                    state.waiters[conversationID, default: [:]][id] = Waiter(continuation: continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            self.wake(conversationID, id)
        }
        timer.cancel()
    }

    private func wake(_ conversationID: String, _ id: UUID) {
        let waiter = state.withLock { state -> Waiter? in
            let found = state.waiters[conversationID]?.removeValue(forKey: id)
            if state.waiters[conversationID]?.isEmpty == true { state.waiters[conversationID] = nil }
            return found
        }
        waiter?.continuation.resume()
    }
}
