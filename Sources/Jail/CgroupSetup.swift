#if os(Linux)
import Glibc
import Synchronization

/// The jail's cgroup manager, set up on a background thread so that a one-shot process (the CLI)
/// overlaps the cgroup discovery and the first leaf's mkdirs with its own start-up work.
///
/// `manager` and `takeLease` block until the setup thread has finished (a few hundred µs at most).
// @unchecked: the pthread mutex/condition pair is only used through pthread calls (thread-safe).
final class CgroupSetup: @unchecked Sendable {
    private struct State {
        var done = false
        var manager: CgroupManager?
        var prepared: CgroupLease?
    }

    private let state = Mutex(State())
    private let readyCondition: UnsafeMutablePointer<pthread_cond_t>
    private let readyMutex: UnsafeMutablePointer<pthread_mutex_t>

    /// Starts the setup. With `prepareLease`, a leaf with the jail's default limits is also made
    /// ahead (for a process that runs one jail).
    init(poolSize: Int, prepareLease: Bool) {
        readyCondition = .allocate(capacity: 1)
        readyMutex = .allocate(capacity: 1)
        pthread_cond_init(readyCondition, nil)
        pthread_mutex_init(readyMutex, nil)
        let work = { [self] in
            let manager = CgroupManager.make(poolSize: poolSize)
            let prepared = prepareLease ? try? manager?.lease(limits: .jailDefaults) : nil
            state.withLock {
                $0.manager = manager
                $0.prepared = prepared
                $0.done = true
            }
            pthread_mutex_lock(readyMutex)
            pthread_cond_broadcast(readyCondition)
            pthread_mutex_unlock(readyMutex)
        }
        let box = Unmanaged.passRetained(WorkBox(work)).toOpaque()
        var thread = pthread_t()
        if pthread_create(
            &thread, nil,
            { raw in
                let work = Unmanaged<WorkBox>.fromOpaque(raw!).takeRetainedValue()
                work.run()
                return nil
            }, box) == 0
        {
            pthread_detach(thread)
        } else {
            Unmanaged<WorkBox>.fromOpaque(box).release()
            work()
        }
    }

    deinit {
        state.withLock { $0.prepared?.release() }
        pthread_cond_destroy(readyCondition)
        pthread_mutex_destroy(readyMutex)
        readyCondition.deallocate()
        readyMutex.deallocate()
    }

    private func waitUntilDone() {
        if state.withLock({ $0.done }) { return }
        pthread_mutex_lock(readyMutex)
        while !state.withLock({ $0.done }) { pthread_cond_wait(readyCondition, readyMutex) }
        pthread_mutex_unlock(readyMutex)
    }

    /// Releases the prepared leaf and removes every directory of the manager, synchronously.
    func shutdown() {
        waitUntilDone()
        let (manager, prepared) = state.withLock { state in
            defer { state.prepared = nil }
            return (state.manager, state.prepared)
        }
        prepared?.release()
        manager?.shutdown()
    }

    /// The manager (nil when no cgroup is usable).
    var manager: CgroupManager? {
        waitUntilDone()
        return state.withLock { $0.manager }
    }

    /// A lease for `limits`: the prepared one when it matches, else a new one.
    func takeLease(limits: CgroupLimits) throws(CgroupError) -> CgroupLease? {
        waitUntilDone()
        let (manager, prepared) = state.withLock { state -> (CgroupManager?, CgroupLease?) in
            let prepared = state.prepared
            if prepared?.limits == limits { state.prepared = nil; return (state.manager, prepared) }
            return (state.manager, nil)
        }
        if let prepared { return prepared }
        return try manager?.lease(limits: limits)
    }
}

private final class WorkBox {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
#endif
