/// A run's events after a sequence number, as they are stored: first the events already there,
/// then each new one, woken by the store's ``RunChangeFeed`` (at once within this process, within
/// the probe interval across processes) instead of polling.
///
/// It ends when the run reaches a status ``Stop`` names and every event before it was delivered,
/// or when the task is cancelled. Events come in order, without gaps or repeats.
public struct RunEventSubscription: AsyncSequence, Sendable {
    /// The elements.
    public typealias Element = RunEvent
    /// The failure.
    public typealias Failure = RunStoreError

    /// When the sequence ends.
    public enum Stop: Sendable {
        /// When the run is completed, failed, cancelled or interrupted.
        case final
        /// When the run is final or paused (a paused run needs somebody before it goes on).
        case finalOrPaused
        /// Never (until the task is cancelled).
        case never
        /// As soon as the events stored now are delivered (no waiting).
        case now

        func matches(_ status: RunStatus) -> Bool {
            switch self {
            case .final: return status.isFinal
            case .finalOrPaused: return status.isFinal || status == .paused
            case .never: return false
            case .now: return true
            }
        }
    }

    let store: any RunStore
    let runID: String
    let after: Int64
    let stop: Stop

    /// Iterates the events.
    public func makeAsyncIterator() -> Iterator {
        Iterator(store: store, runID: runID, last: after, stop: stop, subscription: store.changes.subscribe(.events))
    }

    /// The iterator.
    public struct Iterator: AsyncIteratorProtocol {
        let store: any RunStore
        let runID: String
        var last: Int64
        let stop: Stop
        let subscription: RunChangeSubscription
        var signals: AsyncStream<Void>.Iterator
        var buffer: [RunEvent] = []
        var finished = false

        init(store: any RunStore, runID: String, last: Int64, stop: Stop, subscription: RunChangeSubscription) {
            self.store = store
            self.runID = runID
            self.last = last
            self.stop = stop
            self.subscription = subscription
            // Subscribed before the first read: a change between a read and the wait is not lost.
            self.signals = subscription.signals.makeAsyncIterator()
        }

        /// The next event, waiting for it when none is stored yet; nil at the end.
        public mutating func next() async throws(RunStoreError) -> RunEvent? {
            while true {
                if !buffer.isEmpty {
                    let event = buffer.removeFirst()
                    last = event.sequence
                    return event
                }
                if finished || Task.isCancelled { return nil }
                buffer = try store.events(runID: runID, after: last)
                if !buffer.isEmpty { continue }
                guard let run = try store.run(id: runID) else {
                    throw RunStoreError(.runNotFound, "no run \(runID)")
                }
                if stop.matches(run.status) {
                    // Events stored between the read above and the status read are still delivered.
                    buffer = try store.events(runID: runID, after: last)
                    finished = true
                    continue
                }
                if await signals.next() == nil { return nil }
            }
        }
    }
}

extension RunStore {
    /// The run's events after `sequence`: those stored now, then each new one as it is stored,
    /// until the run reaches a status `stop` names (see ``RunEventSubscription``).
    public func events(of runID: String, after sequence: Int64 = 0, until stop: RunEventSubscription.Stop = .final)
        -> RunEventSubscription
    {
        RunEventSubscription(store: self, runID: runID, after: sequence, stop: stop)
    }
}
