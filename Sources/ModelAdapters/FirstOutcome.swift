import Synchronization

/// The first of several racing outcomes: ``settle(_:)`` may be called any number of times from any
/// task; only the first counts, and ``value()`` returns it (at once when it is already there).
final class FirstOutcome<Value: Sendable>: Sendable {
    private enum State {
        case waiting(CheckedContinuation<Value, any Error>?)
        case settled(Result<Value, any Error>)
    }

    private let state = Mutex<State>(.waiting(nil))

    /// Records `outcome` unless one was recorded before; wakes the waiter.
    func settle(_ outcome: Result<Value, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<Value, any Error>?? in
            guard case .waiting(let waiter) = state else { return nil }
            state = .settled(outcome)
            return .some(waiter)
        }
        if case .some(.some(let waiter)) = waiter { waiter.resume(with: outcome) }
    }

    /// The first outcome, waiting for it. Only one caller may wait.
    func value() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let settled = state.withLock { state -> Result<Value, any Error>? in
                switch state {
                case .settled(let outcome): return outcome
                case .waiting:
                    state = .waiting(continuation)
                    return nil
                }
            }
            if let settled { continuation.resume(with: settled) }
        }
    }
}
