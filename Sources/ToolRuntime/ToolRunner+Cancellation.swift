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
    /// processes: it sleeps on the change feed, never polling the runs table on a timer.
    func watchCancellationRequests() {
        watcher.withLock { watcher in
            guard watcher == nil else { return }
            let subscription = store.changes.subscribe(.cancellation)
            watcher = Task.detached { [weak self] in
                for await _ in subscription.signals {
                    guard let self else { return }
                    let ids = self.local.withLock { Array($0.keys) }
                    guard !ids.isEmpty else { continue }
                    for id in (try? self.store.cancelRequested(among: ids)) ?? [] { _ = self.cancelLocal(id) }
                }
            }
        }
    }
}
