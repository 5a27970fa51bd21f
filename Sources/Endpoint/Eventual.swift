import Synchronization

/// A value that is set once and awaited by many: the bound endpoint, which exists only once the
/// socket is bound (its real port is known) and the host is open. Requests accepted in between wait
/// for it; if it never comes (the host failed to open), they get nil.
final class Eventual<Value: Sendable>: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Value?, Never>])
        case settled(Value?)
    }

    private let state = Mutex<State>(.waiting([]))

    init() {}

    /// Settles the value (nil: it will never come); later calls are ignored.
    func settle(_ value: Value?) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value?, Never>] in
            guard case .waiting(let waiters) = state else { return [] }
            state = .settled(value)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// The value once settled (at once when it is).
    var value: Value? {
        get async {
            await withCheckedContinuation { continuation in
                let settled = state.withLock { state -> Value?? in
                    switch state {
                    case .settled(let value): return .some(value)
                    case .waiting(var waiters):
                        waiters.append(continuation)
                        state = .waiting(waiters)
                        return nil
                    }
                }
                if let settled { continuation.resume(returning: settled) }
            }
        }
    }

    /// The value if it is settled, without waiting.
    var current: Value? {
        state.withLock { state in
            if case .settled(let value) = state { return value }
            return nil
        }
    }
}
