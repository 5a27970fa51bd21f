#if os(Linux)
import Glibc

/// A dedicated background thread that runs jobs in order (pool refills, leaf removal).
///
/// Its own thread rather than a Dispatch queue so that it can run in `SCHED_BATCH` without touching the
/// shared pool: waking it (from ``CgroupManager/lease(limits:)``) never preempts the caller, which keeps
/// the hot path's tail latency at a few microseconds. The thread lives until ``stop()``.
final class CgroupWorker: @unchecked Sendable {
    // pthread objects need stable addresses: allocated, never moved. Guarded by `mutex`: the fields below.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var jobs: [@Sendable () -> Void] = []
    private var running = false
    private var stopping = false
    private var started = false
    private var thread = pthread_t()

    /// Starts the thread. If it cannot start, jobs run inline.
    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
        let context = Unmanaged.passRetained(self).toOpaque()  // the thread's reference, dropped when it ends
        let rc = pthread_create(
            &thread, nil,
            { raw in
                let worker = Unmanaged<CgroupWorker>.fromOpaque(raw!).takeRetainedValue()
                worker.run()
                return nil
            }, context)
        if rc == 0 {
            started = true
            pthread_detach(thread)
        } else {
            Unmanaged<CgroupWorker>.fromOpaque(context).release()
        }
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    /// Queues `job`; runs it inline when the thread is stopped or never started.
    func async(_ job: @escaping @Sendable () -> Void) {
        pthread_mutex_lock(mutex)
        let queued = started && !stopping
        if queued {
            jobs.append(job)
            pthread_cond_broadcast(changed)
        }
        pthread_mutex_unlock(mutex)
        if !queued { job() }
    }

    /// Waits until every queued job has run (returns at once on the worker thread itself).
    func sync() {
        if started && pthread_equal(thread, pthread_self()) != 0 { return }
        pthread_mutex_lock(mutex)
        while !jobs.isEmpty || running { pthread_cond_wait(changed, mutex) }
        pthread_mutex_unlock(mutex)
    }

    /// Lets the thread finish the queued jobs and end.
    func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }

    private func run() {
        var parameter = sched_param(sched_priority: 0)
        _ = sched_setscheduler(0, 3 /* SCHED_BATCH: no wakeup preemption */, &parameter)
        pthread_mutex_lock(mutex)
        while true {
            while jobs.isEmpty && !stopping { pthread_cond_wait(changed, mutex) }
            if jobs.isEmpty { break }
            let job = jobs.removeFirst()
            running = true
            pthread_mutex_unlock(mutex)
            job()
            pthread_mutex_lock(mutex)
            running = false
            pthread_cond_broadcast(changed)
        }
        pthread_mutex_unlock(mutex)
    }
}
#endif
