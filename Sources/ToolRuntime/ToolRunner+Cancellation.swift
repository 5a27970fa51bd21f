import Jail
import RunStorage

/// Runs this process drives, and how they are stopped: directly (``cancel(runID:)`` here, Ctrl-C,
/// ``cancelAll()``) or by a request another process writes to the store, which reaches the running
/// step through the store's change feed (at once in this process, within 50 ms from another).
extension ToolRunner {
    /// What the runner knows of a run it drives.
    struct LocalRun {
        var task: Task<ExecutionOutcome, Never>?
        var jail: JailCancellation?
        var cancelled = false
    }

    func isCancelled(_ runID: String) -> Bool { local.withLock { $0[runID]?.cancelled ?? false } }

    /// Cancels a run this process drives; false when it drives no such run.
    func cancelLocal(_ runID: String) -> Bool {
        let found = local.withLock { runs -> (Task<ExecutionOutcome, Never>?, JailCancellation?)? in
            guard runs[runID] != nil else { return nil }
            runs[runID]!.cancelled = true
            return (runs[runID]!.task, runs[runID]!.jail)
        }
        guard let (task, jailCancellation) = found else { return false }
        jailCancellation?.cancel()
        task?.cancel()
        return true
    }

    /// A jail cancellation registered for the run's tool; nil when the run was cancelled already.
    func attachJail(to runID: String) -> JailCancellation? {
        let cancellation = JailCancellation()
        let proceed = local.withLock { runs -> Bool in
            if runs[runID]?.cancelled == true { return false }
            runs[runID, default: LocalRun()].jail = cancellation
            return true
        }
        return proceed ? cancellation : nil
    }

    /// Forgets the run's jail cancellation (the tool ended).
    func detachJail(from runID: String) { local.withLock { $0[runID]?.jail = nil } }

    /// Starts (once) the task that acts on cancellation requests written to the store by other
    /// processes while this process drives runs: it sleeps on the change feed, never polling the
    /// runs table on a timer.
    func watchCancellationRequests() {
        watcher.withLock { watcher in
            guard watcher == nil else { return }
            let subscription = store.changes.subscribe(.cancellation)
            watcher = Task.detached { [weak self] in
                // Once at the start (a request may predate the subscription), then on every wake-up.
                self?.cancelRequestedRuns()
                for await _ in subscription.signals {
                    guard let self else { return }
                    self.cancelRequestedRuns()
                }
            }
        }
    }

    /// Cancels the runs this process drives that somebody asked, through the store, to stop.
    func cancelRequestedRuns() {
        let ids = local.withLock { Array($0.keys) }
        guard !ids.isEmpty else { return }
        for id in (try? store.cancelRequested(among: ids)) ?? [] { _ = cancelLocal(id) }
    }

    /// Stops the watcher when this process drives no run any more (an idle runner keeps no feed
    /// subscription, so the store probes nothing).
    func stopWatchingIfIdle() {
        watcher.withLock { watcher in
            guard local.withLock({ $0.isEmpty }) else { return }
            watcher?.cancel()
            watcher = nil
        }
    }
}
