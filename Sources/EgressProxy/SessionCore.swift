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
    /// Where connection outcomes are logged (port, verdict and reason only: never the host).
    let logger: Logger
    /// Called once per finished connection, up to `maxRecords` times.
    let onRecord: @Sendable (EgressConnectionRecord) -> Void

    /// Whether a new connection may be served.
    enum Admission {
        /// Yes, as connection `id`.
        case admitted(id: Int)
        /// No, over a connection cap; it gets a record as connection `id`, and a `429` when `answer` is true
        /// (at most ``maxCappedInFlight`` capped connections are answered at once; the others are closed
        /// without a word).
        case capped(id: Int, answer: Bool)
        /// No, the session is closing; the connection is closed without a word or a record.
        case closing
    }

    /// How a finished connection was counted by ``admit(end:)``.
    enum Counted {
        /// Against the connections open at once.
        case open
        /// Among the capped connections being answered `429`.
        case cappedAnswer
        /// Neither.
        case none
    }

    /// The most capped connections of one session being answered `429` at once; more are closed at once.
    static let maxCappedInFlight = 16
    /// The most name lookups of one session running at once; a connection needing another waits for a
    /// slot (within its connect timeout), so a name that never answers ties up at most this many threads.
    static let maxLookupsInFlight = 2

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
        var cappedInFlight = 0
        var lookups = 0
        var nextTicket = 0
        var lookupWaiters: [(ticket: Int, start: @Sendable () -> Void)] = []
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
                guard state.cappedInFlight < Self.maxCappedInFlight else { return .capped(id: id, answer: false) }
                state.cappedInFlight += 1
                return .capped(id: id, answer: true)
            }
            state.open += 1
            return .admitted(id: id)
        }
    }

    /// Whether the run has accepted as many connections as it may in total: its listener can stop.
    var acceptedAll: Bool { state.withLock { $0.accepted >= limits.maxConnections } }

    /// Calls `start` (on the calling thread, or later on whichever thread ends a lookup) once a lookup slot
    /// is this caller's; `start` must end with ``lookupEnded()``. Returns a ticket for ``abandonLookup(_:)``.
    func whenLookupSlotFree(_ start: @escaping @Sendable () -> Void) -> Int {
        let (ticket, now) = state.withLock { state -> (Int, Bool) in
            let ticket = state.nextTicket
            state.nextTicket += 1
            if state.lookups < Self.maxLookupsInFlight {
                state.lookups += 1
                return (ticket, true)
            }
            state.lookupWaiters.append((ticket, start))
            return (ticket, false)
        }
        if now { start() }
        return ticket
    }

    /// Gives up waiting for a lookup slot (no-op when the lookup already started).
    func abandonLookup(_ ticket: Int) {
        state.withLock { state in state.lookupWaiters.removeAll { $0.ticket == ticket } }
    }

    /// A lookup ended (answered, failed, or its pool shut down): its slot goes to the next waiter.
    func lookupEnded() {
        let next = state.withLock { state -> (@Sendable () -> Void)? in
            guard !state.lookupWaiters.isEmpty else {
                state.lookups -= 1
                return nil
            }
            return state.lookupWaiters.removeFirst().start
        }
        next?()
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

    /// Counts a finished connection (as it was `counted`), reports its record (while under `maxRecords`), and wakes
    /// ``drained()`` when it was the last one of a closing session.
    func finish(id: Int, counted: Counted, record: EgressConnectionRecord) {
        let report = state.withLock { state in
            state.finished += 1
            if record.verdict != "allowed" { state.refused += 1 }
            switch counted {
            case .open: state.open -= 1
            case .cappedAnswer: state.cappedInFlight -= 1
            case .none: break
            }
            guard state.recorded < limits.maxRecords else {
                state.unrecorded += 1
                return false
            }
            state.recorded += 1
            return true
        }
        // No host: the tool spells it, and may spell a secret with it (records are redacted by the
        // caller, logs are not).
        logger.debug(
            "egress connection",
            metadata: ["port": "\(record.port)", "verdict": "\(record.verdict)", "reason": "\(record.reason)"])
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
