import Egress
import Logging
import Synchronization

/// One session's shared state: its grant, its caps and counters, and its open connections. Shared by
/// the connections of the run (on any event loop) and the ``EgressSession`` handle; every counter
/// sits behind one lock.
final class SessionCore: Sendable {
    /// The run's grant.
    let grant: EgressGrant
    /// The name resolver.
    let resolver: any EgressResolver
    /// Which resolved addresses are refused.
    let refusal: @Sendable (IPAddress) -> AddressPolicy.Refusal?
    /// Where connection outcomes are logged (host, port, verdict and reason only).
    let logger: Logger
    /// Called once per finished connection, up to `maxRecords` times.
    let onRecord: @Sendable (EgressConnectionRecord) -> Void

    /// Whether a new connection may be served.
    enum Admission {
        /// Yes, as connection `id`.
        case admitted(id: Int)
        /// No, over a connection cap; it gets a `429` and a record as connection `id`.
        case capped(id: Int)
        /// No, the session is closing; the connection is closed without a word or a record.
        case closing
    }

    private struct State {
        var closing = false
        var accepted = 0
        var open = 0
        var nextID = 0
        var live: [Int: @Sendable () -> Void] = [:]
        var bytes: UInt64 = 0
        var finished = 0
        var refused = 0
        var recorded = 0
        var unrecorded = 0
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    init(
        grant: EgressGrant, resolver: any EgressResolver,
        refusal: @escaping @Sendable (IPAddress) -> AddressPolicy.Refusal?, logger: Logger,
        onRecord: @escaping @Sendable (EgressConnectionRecord) -> Void
    ) {
        self.grant = grant
        self.resolver = resolver
        self.refusal = refusal
        self.logger = logger
        self.onRecord = onRecord
    }

    /// The run's caps.
    var limits: EgressLimits { grant.limits }

    /// Counts a newly accepted connection against the caps and keeps `end` (which ends it with
    /// `run_ended`) until it finishes.
    func admit(end: @escaping @Sendable () -> Void) -> Admission {
        state.withLock { state in
            guard !state.closing else { return .closing }
            state.accepted += 1
            let id = state.nextID
            state.nextID += 1
            state.live[id] = end
            if state.accepted > limits.maxConnections || state.open >= limits.maxConcurrentConnections {
                return .capped(id: id)
            }
            state.open += 1
            return .admitted(id: id)
        }
    }

    /// Takes up to `count` bytes from the run's byte allowance; returns how many were granted (fewer
    /// than `count` once the allowance is spent).
    func reserve(_ count: Int) -> Int {
        state.withLock { state in
            let left = limits.maxBytes - state.bytes
            let granted = UInt64(count) <= left ? UInt64(count) : left
            state.bytes += granted
            return Int(granted)
        }
    }

    /// Whether the run's byte allowance is spent.
    var bytesExhausted: Bool { state.withLock { $0.bytes >= limits.maxBytes } }

    /// Counts a finished connection, reports its record (while under `maxRecords`), and wakes
    /// ``drained()`` when it was the last one of a closing session.
    func finish(id: Int, wasOpen: Bool, record: EgressConnectionRecord) {
        let report = state.withLock { state in
            state.finished += 1
            if record.verdict != "allowed" { state.refused += 1 }
            if wasOpen { state.open -= 1 }
            guard state.recorded < limits.maxRecords else {
                state.unrecorded += 1
                return false
            }
            state.recorded += 1
            return true
        }
        logger.debug(
            "egress connection",
            metadata: [
                "host": "\(record.host)", "port": "\(record.port)", "verdict": "\(record.verdict)",
                "reason": "\(record.reason)",
            ])
        if report { onRecord(record) }
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.live[id] = nil
            guard state.closing, state.live.isEmpty else { return [] }
            defer { state.drainWaiters = [] }
            return state.drainWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Stops admitting connections; returns the `end` of every open one.
    func beginClose() -> [@Sendable () -> Void] {
        state.withLock { state in
            guard !state.closing else { return [] }
            state.closing = true
            return Array(state.live.values)
        }
    }

    /// Returns once every connection admitted before ``beginClose()`` has finished (its record reported).
    func drained() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.live.isEmpty { return true }
                state.drainWaiters.append(waiter)
                return false
            }
            if now { waiter.resume() }
        }
    }

    /// The totals so far.
    func usage() -> EgressUsage {
        state.withLock {
            EgressUsage(connections: $0.finished, refused: $0.refused, bytes: $0.bytes, unrecorded: $0.unrecorded)
        }
    }
}
