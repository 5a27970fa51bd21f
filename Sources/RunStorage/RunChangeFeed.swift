import Synchronization

/// Tells subscribers that a run store may have changed: at once for a change made through this
/// process's store, and within one probe interval (20 ms by default) for a change another process
/// committed, which the store's `probe` detects (SQLite: `PRAGMA data_version` on a connection of
/// its own; PostgreSQL would use `LISTEN`/`NOTIFY` and call ``notify(_:)``).
///
/// Signals are coalesced: a subscriber that is busy when several changes happen wakes once and
/// re-reads what it needs, so no change is lost and none is delivered twice to a waiting reader.
/// The probe runs only while somebody subscribes.
public final class RunChangeFeed: Sendable {
    /// What changed.
    public struct Kind: OptionSet, Sendable {
        /// The raw bits.
        public let rawValue: UInt8
        /// An option set from its bits.
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// An event was appended (a run's status may have changed with it).
        public static let events = Kind(rawValue: 1)
        /// A cancellation was requested.
        public static let cancellation = Kind(rawValue: 2)
        /// Another process committed something (what is unknown: re-read everything of interest).
        public static let external = Kind(rawValue: 4)
        /// Every kind.
        public static let all: Kind = [.events, .cancellation, .external]
    }

    private struct Subscriber {
        var kinds: Kind
        var continuation: AsyncStream<Void>.Continuation
    }

    private struct State {
        var subscribers: [UInt64: Subscriber] = [:]
        var nextID: UInt64 = 0
        var watcher: Task<Void, Never>?
    }

    private let state = Mutex(State())
    private let probe: @Sendable () -> Int64?
    private let interval: Duration

    /// A feed whose cross-process changes `probe` detects (a token that changes whenever another
    /// process commits; nil when it cannot be read), polled every `interval` while anyone subscribes.
    public init(interval: Duration = .milliseconds(20), probe: @escaping @Sendable () -> Int64?) {
        self.interval = interval
        self.probe = probe
    }

    deinit {
        state.withLock { $0.watcher?.cancel() }
    }

    /// Wakes every subscriber interested in `kind` (called by the store after each commit).
    public func notify(_ kind: Kind) {
        state.withLock { state in
            for subscriber in state.subscribers.values where !subscriber.kinds.isDisjoint(with: kind) {
                subscriber.continuation.yield()
            }
        }
    }

    /// A subscription that wakes on changes of `kinds` (and always on changes of other processes)
    /// until it is released.
    public func subscribe(_ kinds: Kind = .all) -> RunChangeSubscription {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            state.subscribers[state.nextID] = Subscriber(kinds: kinds.union(.external), continuation: continuation)
            if state.watcher == nil { state.watcher = startWatcher() }
            return state.nextID
        }
        return RunChangeSubscription(stream: stream) { [weak self] in self?.unsubscribe(id) }
    }

    private func unsubscribe(_ id: UInt64) {
        let removed = state.withLock { state -> Subscriber? in
            let removed = state.subscribers.removeValue(forKey: id)
            if state.subscribers.isEmpty {
                state.watcher?.cancel()
                state.watcher = nil
            }
            return removed
        }
        removed?.continuation.finish()
    }

    private func startWatcher() -> Task<Void, Never> {
        let probe = self.probe
        let interval = self.interval
        // The first reading is taken now, before `subscribe` returns: a commit after it is signalled.
        let first = probe()
        return Task.detached { [weak self] in
            var last = first
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                let token = probe()
                // A probe that cannot be read degrades to polling: every tick may be a change.
                if token == nil || token != last {
                    last = token
                    self?.notify(.external)
                }
            }
        }
    }
}

/// One subscriber's wake-ups; unsubscribes when released.
public final class RunChangeSubscription: Sendable {
    /// Yields once per (coalesced) change; ends when the subscription is released or the task is cancelled.
    public let signals: AsyncStream<Void>
    private let release: @Sendable () -> Void

    init(stream: AsyncStream<Void>, release: @escaping @Sendable () -> Void) {
        self.signals = stream
        self.release = release
    }

    deinit { release() }
}
