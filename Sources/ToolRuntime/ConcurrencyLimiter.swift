import Synchronization

/// Caps how many tools run at once, in total and per tool. Calls over a cap wait in FIFO order;
/// when `maxWaiting` calls already wait, a new one is refused at once with `RATE_LIMITED`.
/// A waiting call that is cancelled leaves the queue.
final class ConcurrencyLimiter: Sendable {
    private struct Waiter {
        let id: UInt64
        let toolID: String
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var running = 0
        var perTool: [String: Int] = [:]
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    /// The global cap.
    let maxRunning: Int
    /// The per-tool cap.
    let maxPerTool: Int
    /// The longest queue.
    let maxWaiting: Int
    private let state = Mutex(State())

    init(maxRunning: Int, maxPerTool: Int, maxWaiting: Int) {
        self.maxRunning = max(1, maxRunning)
        self.maxPerTool = max(1, maxPerTool)
        self.maxWaiting = max(0, maxWaiting)
    }

    /// Takes a slot for `toolID`, waiting for one when the caps are reached.
    ///
    /// - Throws: `RATE_LIMITED` when the queue is full; `CANCELLED` when the task is cancelled while waiting.
    func acquire(toolID: String) async throws(OmegaError) {
        enum Decision { case granted, refused, wait(UInt64) }
        let decision: Decision = state.withLock { s in
            if s.waiters.isEmpty, s.running < maxRunning, s.perTool[toolID, default: 0] < maxPerTool {
                s.running += 1
                s.perTool[toolID, default: 0] += 1
                return .granted
            }
            if s.waiters.count >= maxWaiting { return .refused }
            s.nextID += 1
            return .wait(s.nextID)
        }
        switch decision {
        case .granted: return
        case .refused:
            throw OmegaError(
                .rateLimited, "too many calls are waiting (\(maxWaiting) queued, \(maxRunning) running); retry later",
                details: ["maxRunning": .integer(Int64(maxRunning)), "maxWaiting": .integer(Int64(maxWaiting))])
        case .wait(let id):
            let granted = await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                    let ready: [Waiter]? = state.withLock { s in
                        if Task.isCancelled { return nil }
                        s.waiters.append(Waiter(id: id, toolID: toolID, continuation: continuation))
                        return Self.dispatch(&s, maxRunning: maxRunning, maxPerTool: maxPerTool)
                    }
                    guard let ready else { return continuation.resume(returning: false) }
                    for waiter in ready { waiter.continuation.resume(returning: true) }
                }
            } onCancel: {
                let waiter: Waiter? = state.withLock { s in
                    guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return s.waiters.remove(at: index)
                }
                waiter?.continuation.resume(returning: false)
            }
            if !granted { throw OmegaError(.cancelled, "the run was cancelled while it waited for a slot") }
        }
    }

    /// Gives back the slot of `toolID` and wakes the next waiters that fit.
    func release(toolID: String) {
        let ready: [Waiter] = state.withLock { s in
            s.running -= 1
            s.perTool[toolID, default: 1] -= 1
            if s.perTool[toolID] == 0 { s.perTool[toolID] = nil }
            return Self.dispatch(&s, maxRunning: maxRunning, maxPerTool: maxPerTool)
        }
        for waiter in ready { waiter.continuation.resume(returning: true) }
    }

    /// Grants slots to waiters in order (a waiter whose tool is at its cap does not block others).
    private static func dispatch(_ s: inout State, maxRunning: Int, maxPerTool: Int) -> [Waiter] {
        var granted: [Waiter] = []
        var index = 0
        while index < s.waiters.count, s.running < maxRunning {
            let waiter = s.waiters[index]
            if s.perTool[waiter.toolID, default: 0] < maxPerTool {
                s.running += 1
                s.perTool[waiter.toolID, default: 0] += 1
                granted.append(s.waiters.remove(at: index))
            } else {
                index += 1
            }
        }
        return granted
    }

    /// (tests) Running and waiting counts.
    var counts: (running: Int, waiting: Int) { state.withLock { ($0.running, $0.waiters.count) } }
}
