import Credentials
import EgressProxy
import Foundation
import Jail
import Logging
import RunStorage
import Synchronization
import ToolPackage

/// The one pipeline every tool call goes through (DESIGN §1, §5, §6), shared by the CLI, the
/// endpoint and the agent host:
///
/// resolve → validate input → policy → credentials → execute in the jail → validate output →
/// collect artifacts and finish.
///
/// Every step is recorded in the run store as it happens; a reloaded run shows the same timeline.
/// A run pauses (status `paused`, error `APPROVAL_REQUIRED` or `MISSING_ENV_VARS`) at the step that
/// needs something and ``resume(runID:env:approvedBy:user:observer:)`` continues from that step, in
/// this process or another one sharing the store. ``cancel(runID:)`` stops a run at any point and
/// kills the jailed tree. A per-tool circuit breaker (kept in the store) and concurrency caps
/// protect the host. Secret values never reach the store, an error or an event: everything recorded
/// passes through the run's redactor first.
public final class ToolRunner: Sendable {
    /// Called after each event of a run is stored, in order.
    public typealias EventObserver = @Sendable (RunEvent) -> Void

    /// The configuration.
    public let configuration: RuntimeConfiguration
    /// The run store (any backend: the runtime depends only on the protocol).
    public let store: any RunStore
    /// The jail tools run in.
    public let jail: Jail
    /// This process's identity as a run owner.
    public let owner: String
    /// Where the executor reports what it cannot put in a run (store failures, recovery). Messages
    /// never hold a secret value.
    public let logger: Logger
    let resolver: ToolResolver
    let limiter: ConcurrencyLimiter
    /// Runs this process drives: their tasks, and the jail cancellation of the one executing.
    let local = Mutex<[String: LocalRun]>([:])
    /// The task acting on cancellation requests from other processes (see ``watchCancellationRequests()``).
    let watcher = Mutex<Task<Void, Never>?>(nil)
    let reaper = OutboxReaper()
    /// The one egress proxy of this process (DESIGN §11): every run with egress gets its own socket and
    /// grant on it.
    let egress: EgressProxy
    /// Set by ``cancelAll()``: runs that start (or finish resolving) afterwards are cancelled at once.
    let stopping = Mutex(false)

    /// An executor over `configuration`: prepares the home, opens the store, and marks runs whose
    /// process died as `interrupted` (removing what they left in the scratch space).
    ///
    /// - Parameters:
    ///   - configuration: The configuration.
    ///   - store: The run store (default: the embedded SQLite store under the home).
    ///   - jail: The jail to use (default: a new one).
    ///   - logger: Where operational problems are reported.
    /// - Throws: `INTERNAL_ERROR` when the home or the store cannot be opened.
    public init(
        configuration: RuntimeConfiguration = .fromEnvironment(), store: (any RunStore)? = nil, jail: Jail? = nil,
        logger: Logger = Logger(label: "omega.runtime")
    ) throws(OmegaError) {
        self.configuration = configuration
        self.logger = logger
        try configuration.home.prepare(policyTemplate: OmegaHome.defaultPolicyTemplate)
        if let store {
            self.store = store
        } else {
            do {
                self.store = try SQLiteRunStore(path: configuration.home.storePath)
            } catch {
                throw OmegaError(.internalError, "cannot open the run store: \(error)")
            }
        }
        self.jail = jail ?? Jail()
        egress = EgressProxy(logger: logger)
        owner = ProcessIdentity.current
        resolver = ToolResolver(home: configuration.home, allowPaths: configuration.allowPaths)
        limiter = ConcurrencyLimiter(
            maxRunning: configuration.maxConcurrentRuns, maxPerTool: configuration.maxConcurrentRunsPerTool,
            maxWaiting: configuration.maxQueuedRuns)
        recover()
    }

    deinit {
        watcher.withLock { $0?.cancel() }
    }

    // MARK: - Public API

    /// Runs a call through the pipeline until it completes, fails or pauses.
    ///
    /// - Parameters:
    ///   - request: The call.
    ///   - observer: Called with each event as it is stored.
    /// - Returns: The outcome; its `runID` names the run in the store.
    public func start(_ request: ExecutionRequest, observer: EventObserver? = nil) async -> ExecutionOutcome {
        await start(request, replayOf: nil, expectedDigest: nil, observer: observer)
    }

    /// Continues a paused run from the step that paused it.
    ///
    /// - Parameters:
    ///   - runID: The paused run.
    ///   - env: Values for declared environment variables (for this resume; never stored).
    ///   - approvedBy: When set and the run waits for an approval, grants it as this principal.
    ///   - user: The user for vault lookups (default: the run's user).
    ///   - keepApproval: Whether an approval granted here is kept for later calls with the same input
    ///     (false: it covers this run only).
    ///   - observer: Called with each event as it is stored.
    /// - Returns: The outcome. A run that is not paused gives `INVALID_STATE` (nothing is recorded).
    public func resume(
        runID: String, env: [String: String] = [:], approvedBy: String? = nil, user: String? = nil,
        keepApproval: Bool = true, observer: EventObserver? = nil
    ) async -> ExecutionOutcome {
        let record: RunRecord
        switch loadRun(runID) {
        case .success(let found): record = found
        case .failure(let error): return detached(runID, error)
        }
        guard record.status == .paused, let raw = record.step, let step = PipelineStep(rawValue: raw) else {
            return detached(
                runID,
                OmegaError(
                    .invalidState, "run \(runID) is \(record.status.rawValue), not paused; nothing to resume"),
                record: record)
        }
        guard record.inputIsExact else {
            return detached(
                runID,
                OmegaError(
                    .invalidState,
                    "run \(runID) cannot be resumed: its stored input had credentials redacted out of it; start a new call"
                ),
                record: record)
        }
        let tool: ResolvedTool
        do {
            tool = try resolver.resolve(record.toolReference, expectedDigest: record.packageDigest)
        } catch {
            return detached(runID, error, record: record)
        }
        let context = RunContext(
            runID: runID, tool: tool, input: record.input, providedEnv: env, user: user ?? record.user,
            approvedBy: approvedBy, observer: observer)
        context.keepsApproval = keepApproval
        do {
            try ValidateInputStage.validateEnv(context)
        } catch {
            tool.release()
            return detached(runID, error, record: record)
        }
        // The policy may have changed (a scope revoked, safe mode on, an approval expired) since the run
        // paused: a run paused after the policy step checks it again before going on.
        let from = min(step, .policy)
        return await drive(context, from: from) { [self] () throws(OmegaError) in
            do {
                try store.transition(
                    runID: runID, change: RunChange(status: .running, owner: .some(owner), expected: [.paused]),
                    event: .runResumed,
                    data: RunEventPayload.runResumed(
                        step: step.rawValue, policyRecheck: from != step, providedEnv: env.keys.sorted()
                    ).json,
                    atMs: Self.nowMs())
            } catch {
                throw OmegaError(.invalidState, "run \(runID) cannot be resumed: \(error)")
            }
            observe(context)
            if step == .credentials { try? store.resolveCredentialRequests(runID: runID, atMs: Self.nowMs()) }
        }
    }

    /// Re-runs a recorded run: a new run of the same package (same digest) and version with the same input.
    ///
    /// - Parameters:
    ///   - runID: The run to replay.
    ///   - env: Values for declared environment variables.
    ///   - approvedBy: Who approves the replay, if it needs an approval.
    ///   - observer: Called with each event as it is stored.
    /// - Returns: The new run's outcome (`replayOf` in its `run.created` names the original).
    public func replay(
        runID: String, env: [String: String] = [:], approvedBy: String? = nil, observer: EventObserver? = nil
    ) async -> ExecutionOutcome {
        let record: RunRecord
        switch loadRun(runID) {
        case .success(let found): record = found
        case .failure(let error): return detached(runID, error)
        }
        guard !record.toolReference.isEmpty, !record.toolVersion.isEmpty else {
            return detached(
                runID, OmegaError(.invalidState, "run \(runID) never resolved a tool; nothing to replay"),
                record: record)
        }
        guard record.inputIsExact else {
            return detached(
                runID,
                OmegaError(
                    .invalidState, "run \(runID) cannot be replayed: credentials were redacted out of its stored input"),
                record: record)
        }
        let request = ExecutionRequest(
            tool: record.toolReference, input: record.input, env: env, user: record.user, approvedBy: approvedBy)
        return await start(request, replayOf: runID, expectedDigest: record.packageDigest, observer: observer)
    }

    /// Stops a run: a run this process drives is cancelled at once (its jailed tree is killed); a
    /// paused run becomes `cancelled`; a run another process drives gets a request that process acts
    /// on as soon as its store's change feed wakes it (within 50 ms).
    ///
    /// - Returns: false when the run had already ended.
    /// - Throws: `INVALID_STATE` for an unknown run, `INTERNAL_ERROR` when the store fails.
    @discardableResult
    public func cancel(runID: String) throws(OmegaError) -> Bool {
        if cancelLocal(runID) { return true }
        let record: RunRecord
        do {
            guard let found = try store.run(id: runID) else { throw OmegaError(.invalidState, "no run \(runID)") }
            record = found
        } catch let error as OmegaError {
            throw error
        } catch {
            throw OmegaError(.internalError, "cannot read run \(runID): \(error)")
        }
        if record.status.isFinal { return false }
        do {
            let ownerAlive = record.owner.map(ProcessIdentity.isAlive) ?? false
            if record.status == .paused || !ownerAlive {
                let error = OmegaError(.cancelled, "the run was cancelled while \(record.status.rawValue)")
                var outcome = ExecutionOutcome(
                    runID: runID, status: .cancelled, toolID: record.toolID, toolVersion: record.toolVersion,
                    step: record.step.flatMap(PipelineStep.init) ?? .resolve, error: error, artifacts: [])
                outcome.status = .cancelled
                do {
                    // Compare-and-set: if another process resumed the run meanwhile, ask it to stop instead.
                    try store.transition(
                        runID: runID,
                        change: RunChange(
                            status: .cancelled, owner: .some(nil), result: outcome.json, expected: [record.status]),
                        event: .runCancelled,
                        data: RunEventPayload.runCancelled(step: record.step ?? "", error: error.json).json,
                        atMs: Self.nowMs())
                    return true
                } catch  where error.code == .invalidTransition {
                    return try store.requestCancel(runID: runID, atMs: Self.nowMs())
                }
            }
            return try store.requestCancel(runID: runID, atMs: Self.nowMs())
        } catch {
            throw OmegaError(.internalError, "cannot cancel run \(runID): \(error)")
        }
    }

    /// Waits until the scratch space of finished runs is released (outboxes unmounted and removed).
    /// Call it before the process exits; a long-lived server need not.
    public func drainCleanup() { reaper.drain() }

    /// Shuts the executor down: cancels every run this process drives and waits for them to finish;
    /// runs started (or still resolving) from then on are cancelled at once.
    public func cancelAll() async {
        stopping.withLock { $0 = true }
        let tasks = local.withLock { runs in runs.keys.map { $0 } }
        for id in tasks { _ = cancelLocal(id) }
        for id in tasks {
            let task = local.withLock { $0[id]?.task }
            _ = await task?.value
        }
    }

    // MARK: - Driving a run

    func start(
        _ request: ExecutionRequest, replayOf: String?, expectedDigest: String?, observer: EventObserver?
    ) async -> ExecutionOutcome {
        let runID = Self.newRunID()
        let tool: ResolvedTool
        do {
            tool = try resolver.resolve(request.tool, expectedDigest: expectedDigest)
        } catch {
            return failUnresolved(runID: runID, request: request, replayOf: replayOf, error: error, observer: observer)
        }
        let context = RunContext(
            runID: runID, tool: tool, input: request.input, providedEnv: request.env, user: request.user,
            approvedBy: request.approvedBy, observer: observer)
        context.keepsApproval = request.keepApproval
        return await drive(context, from: .validateInput) { [self] () throws(OmegaError) in
            let manifest = tool.manifest
            // A secret given for this call never lands in the stored input (then it is not the exact
            // input any more: its digest, of the original, tells resume and replay so).
            var draft = RunDraft(
                id: runID, toolID: manifest.id, toolVersion: manifest.version.description,
                input: context.redact(request.input), toolReference: tool.reference, packageDigest: tool.packageDigest,
                user: request.user, owner: owner, replayOf: replayOf)
            draft.inputDigest = context.inputDigest
            do {
                _ = try store.createRun(draft, atMs: Self.nowMs())
            } catch {
                throw OmegaError(.internalError, "cannot record the run: \(error)")
            }
            observe(context)
        }
    }

    /// The stored run: `INVALID_STATE` when there is none, `INTERNAL_ERROR` when the store fails.
    func loadRun(_ runID: String) -> Result<RunRecord, OmegaError> {
        do {
            guard let found = try store.run(id: runID) else {
                return .failure(OmegaError(.invalidState, "no run \(runID)"))
            }
            return .success(found)
        } catch {
            return .failure(OmegaError(.internalError, "cannot read run \(runID): \(error)"))
        }
    }

    /// A run for a call whose tool could not be resolved: recorded, then failed at `resolve`.
    func failUnresolved(
        runID: String, request: ExecutionRequest, replayOf: String?, error: OmegaError, observer: EventObserver?
    ) -> ExecutionOutcome {
        let redactor = Redactor(secrets: request.env)
        let error = OmegaError(error.code, redactor.redact(error.message), details: error.details)
        let outcome = ExecutionOutcome(
            runID: runID, status: .failed, toolID: "", toolVersion: "", step: .resolve, error: error, artifacts: [])
        do {
            let draft = RunDraft(
                id: runID, toolID: redactor.redact(request.tool), toolVersion: "",
                input: redactor.redact(json: request.input),
                toolReference: redactor.redact(request.tool), user: request.user, owner: owner, replayOf: replayOf)
            _ = try store.createRun(draft, atMs: Self.nowMs())
            let event = try store.transition(
                runID: runID,
                change: RunChange(
                    status: .failed, step: .some(PipelineStep.resolve.rawValue), owner: .some(nil), result: outcome.json
                ),
                event: .runFailed, data: RunEventPayload.runFailed(step: "resolve", error: error.json).json,
                atMs: Self.nowMs())
            if let observer {
                for stored in (try? store.events(runID: runID, after: 0)) ?? [] where stored.sequence <= event.sequence
                {
                    observer(stored)
                }
            }
        } catch {
            // The outcome still reports the original error; the store failure is secondary.
        }
        return outcome
    }

    /// Runs the pipeline from `first` in a task this process tracks (so it can be cancelled).
    func drive(
        _ context: RunContext, from first: PipelineStep, prologue: @escaping @Sendable () throws(OmegaError) -> Void
    ) async -> ExecutionOutcome {
        let runID = context.runID
        do {
            try prologue()
        } catch {
            context.tool.release()
            return detached(runID, error)
        }
        let task = Task { [self] in await pipeline(context, from: first) }
        let registered = local.withLock { runs -> Bool in
            let alreadyCancelled = (runs[runID]?.cancelled ?? false) || stopping.withLock { $0 }
            // Update, never replace: the pipeline may already have stored its jail cancellation.
            runs[runID, default: LocalRun()].task = task
            if alreadyCancelled { runs[runID]!.cancelled = true }
            return !alreadyCancelled
        }
        if !registered { _ = cancelLocal(runID) }
        watchCancellationRequests()
        let outcome = await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            _ = self.cancelLocal(runID)
        }
        local.withLock { _ = $0.removeValue(forKey: runID) }
        stopWatchingIfIdle()
        reaper.reap(context.tool)
        return outcome
    }

    /// The stages in pipeline order; `finish` is the runner's own (it returns the outcome).
    static let stages: [any PipelineStage] = [
        ValidateInputStage(), PolicyStage(), CredentialsStage(), JailStage(), ValidateOutputStage(),
    ]

    func pipeline(_ context: RunContext, from first: PipelineStep) async -> ExecutionOutcome {
        var step = first == .resolve ? .validateInput : first
        do throws(OmegaError) {
            for stage in Self.stages where type(of: stage).step >= step {
                step = type(of: stage).step
                try begin(context, step)
                try await stage.run(context, runner: self)
            }
            step = .finish
            try begin(context, step)
            return try finish(context)
        } catch {
            if error.isPause { return pause(context, at: step, error) }
            return fail(context, at: step, error)
        }
    }

    /// Records `step.started` (a new run starts running with its first step).
    private func begin(_ context: RunContext, _ step: PipelineStep) throws(OmegaError) {
        if isCancelled(context.runID) {
            throw OmegaError(.cancelled, "the run was cancelled before step \(step.rawValue)")
        }
        if step == .validateInput {
            try transition(
                context, RunChange(status: .running, step: .some(step.rawValue)), .stepStarted(step: step.rawValue))
        } else {
            try record(context, .stepStarted(step: step.rawValue))
        }
    }
}
