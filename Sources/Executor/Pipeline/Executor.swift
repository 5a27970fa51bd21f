import Foundation
import Jail
import Manifest
import Synchronization

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
public final class Executor: Sendable {
    /// Called after each event of a run is stored, in order.
    public typealias EventObserver = @Sendable (RunEvent) -> Void

    /// The configuration.
    public let configuration: ExecutorConfiguration
    /// The run store.
    public let store: SQLiteRunStore
    /// The jail tools run in.
    public let jail: Jail
    /// This process's identity as a run owner.
    public let owner: String
    private let resolver: ToolResolver
    private let limiter: ConcurrencyLimiter
    private let vaultBox = Mutex<CredentialVault?>(nil)
    /// Runs this process drives: their tasks, and the jail cancellation of the one executing.
    private let local = Mutex<[String: LocalRun]>([:])
    private let poller = Mutex<Task<Void, Never>?>(nil)

    private struct LocalRun {
        var task: Task<ExecutionOutcome, Never>?
        var jail: JailCancellation?
        var cancelled = false
    }

    /// An executor over `configuration`: prepares the home, opens the store, and marks runs whose
    /// process died as `interrupted` (removing what they left in the scratch space).
    ///
    /// - Parameters:
    ///   - configuration: The configuration.
    ///   - jail: The jail to use (default: a new one).
    /// - Throws: `INTERNAL_ERROR` when the home or the store cannot be opened.
    public init(configuration: ExecutorConfiguration = .fromEnvironment(), jail: Jail? = nil) throws(ExecutorError) {
        self.configuration = configuration
        try configuration.home.prepare(policyTemplate: OmegaHome.defaultPolicyTemplate)
        do {
            store = try SQLiteRunStore(path: configuration.home.storePath)
        } catch {
            throw ExecutorError(.internalError, "cannot open the run store: \(error)")
        }
        self.jail = jail ?? Jail()
        owner = ProcessIdentity.current
        resolver = ToolResolver(home: configuration.home, allowPaths: configuration.allowPaths)
        limiter = ConcurrencyLimiter(
            maxRunning: configuration.maxConcurrentRuns, maxPerTool: configuration.maxConcurrentRunsPerTool,
            maxWaiting: configuration.maxQueuedRuns)
        recover()
    }

    deinit {
        poller.withLock { $0?.cancel() }
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
    ///   - observer: Called with each event as it is stored.
    /// - Returns: The outcome. A run that is not paused gives `INVALID_STATE` (nothing is recorded).
    public func resume(
        runID: String, env: [String: String] = [:], approvedBy: String? = nil, user: String? = nil,
        observer: EventObserver? = nil
    ) async -> ExecutionOutcome {
        let record: RunRecord
        do {
            guard let found = try store.run(id: runID) else {
                return detached(runID, ExecutorError(.invalidState, "no run \(runID)"))
            }
            record = found
        } catch {
            return detached(runID, ExecutorError(.internalError, "cannot read run \(runID): \(error)"))
        }
        guard record.status == .paused, let raw = record.step, let step = PipelineStep(rawValue: raw) else {
            return detached(
                runID, ExecutorError(.invalidState, "run \(runID) is \(record.status.rawValue), not paused; nothing to resume"),
                record: record)
        }
        guard record.inputIsExact else {
            return detached(
                runID,
                ExecutorError(
                    .invalidState,
                    "run \(runID) cannot be resumed: its stored input had credentials redacted out of it; start a new call"),
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
        return await drive(context, from: step) { [self] () throws(ExecutorError) in
            do {
                try store.transition(
                    runID: runID, change: RunChange(status: .running, owner: .some(owner)), event: .runResumed,
                    data: ["step": .string(step.rawValue), "providedEnv": .array(env.keys.sorted().map { .string($0) })],
                    atMs: Self.nowMs())
            } catch {
                throw ExecutorError(.invalidState, "run \(runID) cannot be resumed: \(error)")
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
        do {
            guard let found = try store.run(id: runID) else {
                return detached(runID, ExecutorError(.invalidState, "no run \(runID)"))
            }
            record = found
        } catch {
            return detached(runID, ExecutorError(.internalError, "cannot read run \(runID): \(error)"))
        }
        guard !record.toolReference.isEmpty, !record.toolVersion.isEmpty else {
            return detached(runID, ExecutorError(.invalidState, "run \(runID) never resolved a tool; nothing to replay"), record: record)
        }
        guard record.inputIsExact else {
            return detached(
                runID,
                ExecutorError(.invalidState, "run \(runID) cannot be replayed: credentials were redacted out of its stored input"),
                record: record)
        }
        let request = ExecutionRequest(
            tool: record.toolReference, input: record.input, env: env, user: record.user, approvedBy: approvedBy)
        return await start(request, replayOf: runID, expectedDigest: record.packageDigest, observer: observer)
    }

    /// Stops a run: a run this process drives is cancelled at once (its jailed tree is killed); a
    /// paused run becomes `cancelled`; a run another process drives gets a request that process acts
    /// on within ``ExecutorConfiguration/cancellationPollSeconds``.
    ///
    /// - Returns: false when the run had already ended.
    /// - Throws: `INVALID_STATE` for an unknown run, `INTERNAL_ERROR` when the store fails.
    @discardableResult
    public func cancel(runID: String) throws(ExecutorError) -> Bool {
        if cancelLocal(runID) { return true }
        let record: RunRecord
        do {
            guard let found = try store.run(id: runID) else { throw ExecutorError(.invalidState, "no run \(runID)") }
            record = found
        } catch let error as ExecutorError {
            throw error
        } catch {
            throw ExecutorError(.internalError, "cannot read run \(runID): \(error)")
        }
        if record.status.isFinal { return false }
        do {
            let ownerAlive = record.owner.map(ProcessIdentity.isAlive) ?? false
            if record.status == .paused || !ownerAlive {
                let error = ExecutorError(.cancelled, "the run was cancelled while \(record.status.rawValue)")
                var outcome = ExecutionOutcome(
                    runID: runID, status: .cancelled, toolID: record.toolID, toolVersion: record.toolVersion,
                    step: record.step.flatMap(PipelineStep.init) ?? .resolve, error: error, artifacts: [])
                outcome.status = .cancelled
                try store.transition(
                    runID: runID, change: RunChange(status: .cancelled, owner: .some(nil), result: outcome.json),
                    event: .runCancelled, data: ["step": .string(record.step ?? ""), "error": error.json],
                    atMs: Self.nowMs())
                return true
            }
            return try store.requestCancel(runID: runID, atMs: Self.nowMs())
        } catch {
            throw ExecutorError(.internalError, "cannot cancel run \(runID): \(error)")
        }
    }

    /// Ends every run this process drives (cancelling them) and waits for them to finish.
    public func cancelAll() async {
        let tasks = local.withLock { runs in runs.keys.map { $0 } }
        for id in tasks { _ = cancelLocal(id) }
        for id in tasks {
            let task = local.withLock { $0[id]?.task }
            _ = await task?.value
        }
    }

    // MARK: - Driving a run

    private func start(
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
        return await drive(context, from: .validateInput) { [self] () throws(ExecutorError) in
            let manifest = tool.manifest
            let draft = RunDraft(
                id: runID, toolID: manifest.id, toolVersion: manifest.version.description, input: request.input,
                toolReference: tool.reference, packageDigest: tool.packageDigest, user: request.user, owner: owner,
                replayOf: replayOf)
            do {
                _ = try store.createRun(draft, atMs: Self.nowMs())
            } catch {
                throw ExecutorError(.internalError, "cannot record the run: \(error)")
            }
            observe(context)
        }
    }

    /// A run for a call whose tool could not be resolved: recorded, then failed at `resolve`.
    private func failUnresolved(
        runID: String, request: ExecutionRequest, replayOf: String?, error: ExecutorError, observer: EventObserver?
    ) -> ExecutionOutcome {
        let redactor = Redactor(secrets: request.env)
        let error = ExecutorError(error.code, redactor.redact(error.message), details: error.details)
        let outcome = ExecutionOutcome(
            runID: runID, status: .failed, toolID: "", toolVersion: "", step: .resolve, error: error, artifacts: [])
        do {
            let draft = RunDraft(
                id: runID, toolID: redactor.redact(request.tool), toolVersion: "", input: request.input,
                toolReference: redactor.redact(request.tool), user: request.user, owner: owner, replayOf: replayOf)
            _ = try store.createRun(draft, atMs: Self.nowMs())
            let event = try store.transition(
                runID: runID, change: RunChange(status: .failed, step: .some(PipelineStep.resolve.rawValue), owner: .some(nil), result: outcome.json),
                event: .runFailed, data: ["step": "resolve", "error": error.json], atMs: Self.nowMs())
            if let observer {
                for stored in (try? store.events(runID: runID, after: 0)) ?? [] where stored.sequence <= event.sequence {
                    observer(stored)
                }
            }
        } catch {
            // The outcome still reports the original error; the store failure is secondary.
        }
        return outcome
    }

    /// Runs the pipeline from `first` in a task this process tracks (so it can be cancelled).
    private func drive(
        _ context: RunContext, from first: PipelineStep, prologue: @escaping @Sendable () throws(ExecutorError) -> Void
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
            let alreadyCancelled = runs[runID]?.cancelled ?? false
            runs[runID] = LocalRun(task: task, jail: nil, cancelled: alreadyCancelled)
            return !alreadyCancelled
        }
        if !registered { task.cancel() }
        startPoller()
        let outcome = await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            _ = self.cancelLocal(runID)
        }
        local.withLock { _ = $0.removeValue(forKey: runID) }
        context.tool.release()
        return outcome
    }

    private func pipeline(_ context: RunContext, from first: PipelineStep) async -> ExecutionOutcome {
        var step = first
        do throws(ExecutorError) {
            while true {
                if isCancelled(context.runID) {
                    throw ExecutorError(.cancelled, "the run was cancelled before step \(step.rawValue)")
                }
                if step == .validateInput {
                    // A new run starts running with its first step.
                    try transition(
                        context, RunChange(status: .running, step: .some(step.rawValue)), .stepStarted,
                        ["step": .string(step.rawValue)])
                } else {
                    try record(context, .stepStarted, ["step": .string(step.rawValue)])
                }
                switch step {
                case .resolve, .validateInput:
                    try validateInput(context)
                    step = .policy
                case .policy:
                    try checkPolicy(context)
                    step = .credentials
                case .credentials:
                    try resolveCredentials(context)
                    step = .execute
                case .execute:
                    try await execute(context)
                    step = .validateOutput
                case .validateOutput:
                    do {
                        try validateOutput(context)
                    } catch {
                        recordHealth(context, success: false)
                        throw error
                    }
                    recordHealth(context, success: true)
                    step = .finish
                case .finish:
                    return try finish(context)
                }
            }
        } catch {
            if error.isPause { return pause(context, at: step, error) }
            return fail(context, at: step, error)
        }
    }

    // MARK: - Steps

    private func validateInput(_ context: RunContext) throws(ExecutorError) {
        let manifest = context.tool.manifest
        var problems: [JSONValue] = []
        let declared = Dictionary(manifest.env.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (name, value) in context.providedEnv.sorted(by: { $0.key < $1.key }) {
            if declared[name] == nil {
                problems.append(
                    ["path": .string("/env/\(name)"), "message": .string("is not an environment variable the tool declares (declared: \(manifest.env.isEmpty ? "none" : manifest.env.map(\.name).joined(separator: ", ")))")])
            } else if value.utf8.contains(0) {
                problems.append(["path": .string("/env/\(name)"), "message": "must not contain a NUL byte"])
            } else if value.utf8.count > 65_536 {
                problems.append(["path": .string("/env/\(name)"), "message": "is longer than 64 KiB"])
            }
        }
        if !problems.isEmpty {
            throw ExecutorError(
                .invalidInput, "the request's env names variables the tool does not accept", details: ["errors": .array(problems)])
        }
        let schema: JSONSchema
        do {
            schema = try SchemaCache.shared.schema(for: manifest.input)
        } catch {
            throw ExecutorError(.invalidManifest, "\(manifest.id): the input schema does not compile: \(error)")
        }
        let result = schema.validate(context.input)
        guard result.isValid else {
            let errors = result.errors.prefix(20).map { error -> JSONValue in
                ["path": .string(error.instancePath.description), "message": .string(error.message)]
            }
            let first = result.errors[0]
            let at = first.instancePath.description.isEmpty ? "(root)" : first.instancePath.description
            throw ExecutorError(
                .invalidInput, "input does not match the input schema of \(manifest.id): \(at): \(first.message)",
                details: ["errors": .array(errors)])
        }
    }

    private func policyRequest(_ context: RunContext) -> PolicyRequest {
        let manifest = context.tool.manifest
        return PolicyRequest(
            toolID: manifest.id, toolVersion: manifest.version.description, scopes: manifest.scopes,
            risk: PolicyRequest.RiskLevel(rawValue: manifest.risk.level.rawValue) ?? .high,
            externalWrite: manifest.risk.externalWrite, readOnly: manifest.risk.readOnly, input: context.input)
    }

    private func checkPolicy(_ context: RunContext) throws(ExecutorError) {
        let engine: PolicyEngine
        do {
            engine = try PolicyLoader().load(
                workspace: configuration.workspacePolicy, project: configuration.projectPolicy,
                user: configuration.userPolicy)
        } catch {
            throw ExecutorError(.policyDenied, "the policy cannot be read, so nothing may run: \(error)")
        }
        let request = policyRequest(context)
        let now = PolicyTimestamp.now()
        var decision: PolicyDecision
        do {
            decision = try engine.evaluate(request, approvals: store, now: now)
        } catch {
            throw ExecutorError(.internalError, "cannot look up approvals: \(error)")
        }
        let manifest = context.tool.manifest
        if case .needsApproval(let reason, _) = decision, let approver = context.approvedBy {
            let approval = engine.approval(for: request, approvedBy: approver, at: now)
            do {
                try store.record(approval)
            } catch {
                throw ExecutorError(.internalError, "cannot record the approval: \(error)")
            }
            try record(
                context, .approvalGranted,
                [
                    "approvedBy": .string(approver), "inputDigest": .string(request.inputDigest), "reason": .string(reason),
                    "expiresAt": approval.expiresAt.map { .integer($0.secondsSinceEpoch) } ?? .null,
                ])
            decision = engine.evaluate(request, approvals: [approval], now: now)
        }
        switch decision {
        case .allow(let explanation):
            try record(
                context, .policyChecked,
                [
                    "decision": "allow", "scopes": .array(manifest.scopes.map { .string($0) }),
                    "approvedBy": explanation.approval.map { .string($0.approvedBy) } ?? .null,
                ])
        case .deny(let reason, _):
            try record(context, .policyChecked, ["decision": "deny", "reason": .string(reason)])
            throw ExecutorError(
                .policyDenied, "\(manifest.id) may not run: \(reason)",
                details: ["reason": .string(reason), "scopes": .array(manifest.scopes.map { .string($0) })])
        case .needsApproval(let reason, _):
            let details: [String: JSONValue] = [
                "toolId": .string(manifest.id), "toolVersion": .string(manifest.version.description),
                "inputDigest": .string(request.inputDigest), "scopes": .array(manifest.scopes.map { .string($0) }),
                "risk": .string(manifest.risk.level.rawValue), "externalWrite": .bool(manifest.risk.externalWrite),
                "reason": .string(reason),
            ]
            try record(context, .policyChecked, ["decision": "needs_approval", "reason": .string(reason)])
            try record(context, .approvalRequested, .object(details))
            throw ExecutorError(
                .approvalRequired, "\(manifest.id)@\(manifest.version) needs a human's approval: \(reason)",
                details: details.merging(["hint": "Approve this exact call, then resume the run"]) { a, _ in a })
        }
    }

    private func resolveCredentials(_ context: RunContext) throws(ExecutorError) {
        let manifest = context.tool.manifest
        var values: [String: String] = [:]
        var sources: [String: String] = [:]
        for variable in manifest.env {
            if let value = context.providedEnv[variable.name] {
                values[variable.name] = value
                sources[variable.name] = "request"
            }
        }
        let wanted = manifest.env.map(\.name).filter { values[$0] == nil }
        if !wanted.isEmpty, let vault = try openVault(required: false) {
            for (name, value) in vault.resolve(wanted, toolID: manifest.id, user: context.user) {
                values[name] = value
                sources[name] = "vault"
            }
        }
        let missing = manifest.env.filter { $0.required && (values[$0.name] ?? "").isEmpty }
        context.env = values
        context.envSources = sources
        context.learnSecrets()
        guard missing.isEmpty else {
            let names = missing.map(\.name)
            do {
                try store.recordCredentialRequest(runID: context.runID, names: names, atMs: Self.nowMs())
            } catch {
                throw ExecutorError(.internalError, "cannot record the credential request: \(error)")
            }
            let error = ExecutorError.missingEnvVars(missing.map { ($0.name, $0.description) })
            try record(context, .credentialsRequested, ["missingVars": error.details["missingVars"] ?? .array([])])
            throw error
        }
    }

    private func execute(_ context: RunContext) async throws(ExecutorError) {
        let manifest = context.tool.manifest
        let health: ToolHealth
        do {
            health = try store.toolHealth(toolID: manifest.id)
        } catch {
            throw ExecutorError(.internalError, "cannot read the circuit breaker: \(error)")
        }
        let now = Self.nowMs()
        if health.isOpen(atMs: now) {
            throw ExecutorError(
                .toolUnavailable,
                "\(manifest.id) is unavailable: its circuit is open after \(health.consecutiveFailures) consecutive failures",
                details: [
                    "reason": "circuit_open", "consecutiveFailures": .integer(Int64(health.consecutiveFailures)),
                    "retryAfterMs": .integer(max(0, (health.openUntilMs ?? now) - now)),
                ])
        }
        guard case .sandboxJob(let command, let network) = manifest.execution, !command.isEmpty else {
            throw ExecutorError(.toolUnavailable, "\(manifest.id) is not a sandbox job", details: ["reason": "unsupported_binding"])
        }
        guard network == .none else {
            throw ExecutorError(
                .toolUnavailable, "\(manifest.id) asks for network egress, which this appliance does not provide",
                details: ["reason": "egress_unavailable"])
        }

        try await limiter.acquire(toolID: manifest.id)
        defer { limiter.release(toolID: manifest.id) }
        if isCancelled(context.runID) { throw ExecutorError(.cancelled, "the run was cancelled before the tool started") }

        let outboxPath = configuration.home.scratchDirectory + "/out-" + context.runID
        let outbox: JailOutbox
        do {
            outbox = try JailOutbox.create(
                at: outboxPath, capacityBytes: configuration.artifactCapacityBytes, maxFiles: configuration.maxArtifacts,
                ownerUID: jail.hostUID, ownerGID: jail.hostGID)
        } catch {
            throw ExecutorError(.sandboxFailure, "cannot prepare /work/out: \(error)")
        }
        defer { outbox.remove() }

        var spec = JailSpec(program: command[0], arguments: Self.arguments(command, package: context.tool.directory))
        if command[0].contains("/") && !command[0].hasPrefix("/") { spec.program = "/tool/" + Self.clean(command[0]) }
        spec.environment = manifest.env.compactMap { variable in context.env[variable.name].map { (variable.name, $0) } }
        spec.limits.wallSeconds = Double(manifest.limits.timeoutSeconds)
        spec.limits.memoryBytes = UInt64(manifest.limits.memoryMB) << 20
        spec.limits.pids = manifest.limits.pids
        spec.limits.outputBytes = manifest.limits.outputBytes
        spec.network = .loopback
        spec.toolDirectory = context.tool.directory
        spec.binds = [JailSpec.Bind(source: outbox.path, destination: "/work/out", writable: true)]
        spec.stdinData = Array(context.input.jsonText.utf8)
        spec.hostname = "omega"
        do {
            spec.seccompProgram = try SeccompPolicy.program(named: "default").bytes
        } catch {
            throw ExecutorError(.sandboxFailure, "cannot load the seccomp profile: \(error)")
        }

        let cancellation = JailCancellation()
        let proceed = local.withLock { runs -> Bool in
            if runs[context.runID]?.cancelled == true { return false }
            runs[context.runID, default: LocalRun()].jail = cancellation
            return true
        }
        if !proceed { throw ExecutorError(.cancelled, "the run was cancelled before the tool started") }
        try record(
            context, .toolStarted,
            [
                "command": .array(command.map { .string($0) }),
                "env": .array(
                    manifest.env.compactMap { v in
                        context.envSources[v.name].map { ["name": .string(v.name), "source": .string($0)] }
                    }),
                "limits": [
                    "timeoutSeconds": .integer(Int64(manifest.limits.timeoutSeconds)),
                    "memoryMB": .integer(Int64(manifest.limits.memoryMB)), "pids": .integer(Int64(manifest.limits.pids)),
                    "outputBytes": .integer(Int64(manifest.limits.outputBytes)),
                ],
            ])
        let startedAt = Self.nowMs()
        let result: JailResult
        do {
            result = try await JailRunner.run(jail, spec, cancellation: cancellation)
        } catch {
            local.withLock { $0[context.runID]?.jail = nil }
            throw ExecutorError(.sandboxFailure, "the jail could not start the tool: \(context.redactor.redact(error.description))")
        }
        local.withLock { $0[context.runID]?.jail = nil }
        let finishedAt = Self.nowMs()
        let wasCancelled = cancellation.isCancelled
        let stderr = context.redactor.redact(result.stderr)
        if !stderr.isEmpty {
            try record(
                context, .toolOutput,
                ["stream": "stderr", "text": .string(String(stderr.suffix(65_536))), "truncated": .bool(result.stderrTruncated)])
        }
        var verdict: [String: JSONValue] = [
            "status": .string(wasCancelled ? "cancelled" : result.status.rawValue),
            "exitCode": result.exitCode.map { .integer(Int64($0)) } ?? .null,
            "signal": result.signal.map { .integer(Int64($0)) } ?? .null,
            "wallMs": .number(result.wallMs), "cpuMs": .number(result.cpuMs), "maxRssKb": .integer(result.maxRssKb),
            "stdoutTruncated": .bool(result.stdoutTruncated), "stderrTruncated": .bool(result.stderrTruncated),
        ]
        if let error = result.error { verdict["error"] = .string(context.redactor.redact(error)) }
        context.verdict = .object(verdict)
        context.stdout = result.stdout
        let parsedOutput = try? JSONParser().parse(result.stdout)
        try? store.recordToolRun(
            ToolRunRecord(
                runID: context.runID, attempt: 1, toolID: manifest.id, toolVersion: manifest.version.description,
                inputDigest: Approval.digest(of: context.input), output: parsedOutput.map(context.redact),
                status: wasCancelled ? "cancelled" : result.status.rawValue, exitCode: result.exitCode,
                signal: result.signal, wallMs: result.wallMs, cpuMs: result.cpuMs, maxRssKb: result.maxRssKb,
                startedAtMs: startedAt, finishedAtMs: finishedAt))
        try record(context, .toolFinished, .object(verdict))

        // Artifacts are collected whatever the verdict (a failed tool's files help to debug it).
        collectArtifacts(context, outbox: outbox)

        if wasCancelled { throw ExecutorError(.cancelled, "the run was cancelled while the tool ran", details: ["verdict": .object(verdict)]) }
        let failure: ExecutorError?
        switch result.status {
        case .ok: failure = nil
        case .timeout:
            failure = ExecutorError(
                .timeout, "\(manifest.id) ran past its limit: \(context.redactor.redact(result.error ?? "timeout"))",
                details: ["verdict": .object(verdict)])
        case .setupError:
            failure = ExecutorError(
                .sandboxFailure, "the jail could not be set up: \(context.redactor.redact(result.error ?? "setup error"))",
                details: ["verdict": .object(verdict)])
        case .runtimeError, .signaled, .memoryLimit, .outputLimit:
            var details: [String: JSONValue] = ["verdict": .object(verdict)]
            if let parsedOutput { details["toolError"] = context.redact(parsedOutput) }
            if !stderr.isEmpty { details["stderrTail"] = .string(String(stderr.suffix(2048))) }
            let what: String
            switch result.status {
            case .runtimeError: what = "exited with status \(result.exitCode ?? -1)"
            case .signaled: what = "was killed by signal \(result.signal ?? 0)"
            case .memoryLimit: what = "reached its memory limit of \(manifest.limits.memoryMB) MB"
            default: what = "reached its output limit of \(manifest.limits.outputBytes) bytes"
            }
            failure = ExecutorError(.toolFailed, "\(manifest.id) \(what)", details: details)
        }
        if let failure {
            recordHealth(context, success: false)
            throw failure
        }
    }

    private func validateOutput(_ context: RunContext) throws(ExecutorError) {
        let manifest = context.tool.manifest
        let text = context.stdout
        guard !text.allSatisfy(\.isWhitespace) else {
            throw ExecutorError(.invalidOutput, "\(manifest.id) printed nothing on stdout (expected one JSON document)")
        }
        let output: JSONValue
        do {
            output = try JSONParser().parse(text)
        } catch {
            throw ExecutorError(
                .invalidOutput, "\(manifest.id) printed something that is not one JSON document: \(error)",
                details: ["stdoutHead": .string(context.redactor.redact(String(text.prefix(512))))])
        }
        if let outputSchema = manifest.output {
            let schema: JSONSchema
            do {
                schema = try SchemaCache.shared.schema(for: outputSchema)
            } catch {
                throw ExecutorError(.invalidManifest, "\(manifest.id): the output schema does not compile: \(error)")
            }
            let result = schema.validate(output)
            if !result.isValid {
                let first = result.errors[0]
                let at = first.instancePath.description.isEmpty ? "(root)" : first.instancePath.description
                throw ExecutorError(
                    .invalidOutput,
                    "the output of \(manifest.id) does not match its output schema: \(at): \(context.redactor.redact(first.message))",
                    details: [
                        "errors": .array(
                            result.errors.prefix(20).map {
                                ["path": .string($0.instancePath.description), "message": .string(context.redactor.redact($0.message))]
                            })
                    ])
            }
        }
        context.output = context.redact(output)
    }

    private func finish(_ context: RunContext) throws(ExecutorError) -> ExecutionOutcome {
        let manifest = context.tool.manifest
        var outcome = ExecutionOutcome(
            runID: context.runID, status: .completed, toolID: manifest.id, toolVersion: manifest.version.description,
            step: .finish, output: context.output, error: nil, verdict: context.verdict, artifacts: context.artifacts)
        outcome.status = .completed
        var data: [String: JSONValue] = [
            "output": context.output ?? .null, "artifacts": .array(context.artifacts.map(\.json)),
        ]
        if !context.refusedArtifacts.isEmpty { data["refusedArtifacts"] = .array(context.refusedArtifacts) }
        try transition(
            context, RunChange(status: .completed, step: .some(PipelineStep.finish.rawValue), owner: .some(nil), result: outcome.json),
            .runCompleted, .object(data))
        return outcome
    }

    private func pause(_ context: RunContext, at step: PipelineStep, _ error: ExecutorError) -> ExecutionOutcome {
        let manifest = context.tool.manifest
        let safe = ExecutorError(error.code, context.redactor.redact(error.message), details: error.details)
        let outcome = ExecutionOutcome(
            runID: context.runID, status: .paused, toolID: manifest.id, toolVersion: manifest.version.description,
            step: step, error: safe, artifacts: [])
        do {
            try transition(
                context, RunChange(status: .paused, step: .some(step.rawValue), owner: .some(nil), result: outcome.json),
                .runPaused, ["step": .string(step.rawValue), "reason": .string(safe.code.rawValue), "error": safe.json])
        } catch {
            return fail(context, at: step, error)
        }
        return outcome
    }

    private func fail(_ context: RunContext, at step: PipelineStep, _ error: ExecutorError) -> ExecutionOutcome {
        let manifest = context.tool.manifest
        let safe = ExecutorError(error.code, context.redactor.redact(error.message), details: context.redact(.object(error.details)).objectValue ?? [:])
        let cancelled = safe.code == .cancelled
        let outcome = ExecutionOutcome(
            runID: context.runID, status: cancelled ? .cancelled : .failed, toolID: manifest.id,
            toolVersion: manifest.version.description, step: step, output: nil, error: safe, verdict: context.verdict,
            artifacts: context.artifacts)
        _ = try? transition(
            context,
            RunChange(status: cancelled ? .cancelled : .failed, step: .some(step.rawValue), owner: .some(nil), result: outcome.json),
            cancelled ? .runCancelled : .runFailed, ["step": .string(step.rawValue), "error": safe.json])
        return outcome
    }

    // MARK: - Helpers

    private func collectArtifacts(_ context: RunContext, outbox: JailOutbox) {
        // Most tools leave nothing: then there is nothing to walk, create or hash.
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: outbox.path), entries.isEmpty { return }
        let destination = configuration.home.artifactsDirectory(runID: context.runID)
        let found: [JailArtifact]
        do {
            try FileManager.default.createDirectory(
                atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            found = try outbox.collect(
                into: destination, maxBytes: configuration.artifactCapacityBytes, maxFiles: configuration.maxArtifacts)
        } catch {
            context.refusedArtifacts.append(["path": "", "reason": .string("collecting failed: \(error)")])
            return
        }
        if found.isEmpty {
            try? FileManager.default.removeItem(atPath: (destination as NSString).deletingLastPathComponent)
            return
        }
        for item in found {
            switch item.status {
            case .copied:
                let path = destination + "/" + item.path
                var redacted = false
                if var data = FileManager.default.contents(atPath: path) {
                    if let text = String(data: data, encoding: .utf8), context.redactor.containsSecret(text) {
                        data = Data(context.redactor.redact(text).utf8)
                        try? data.write(to: URL(fileURLWithPath: path))
                        redacted = true
                    }
                    context.artifacts.append(
                        ArtifactRecord(
                            path: context.redactor.redact(item.path), bytes: UInt64(data.count),
                            sha256: ArtifactDigest.sha256(data), redacted: redacted))
                }
            case .refused(let reason):
                context.refusedArtifacts.append(["path": .string(context.redactor.redact(item.path)), "reason": .string(reason)])
            case .skippedOverLimit:
                context.refusedArtifacts.append(
                    ["path": .string(context.redactor.redact(item.path)), "reason": "over the artifact limits"])
            }
        }
    }

    /// The command's arguments, with relative paths that name files of the package made absolute
    /// under `/tool` (so `["python3", "main.py"]` works from the `/work` working directory).
    static func arguments(_ command: [String], package: String) -> [String] {
        command.dropFirst().map { argument in
            guard !argument.hasPrefix("/"), !argument.hasPrefix("-"), !argument.isEmpty else { return argument }
            let cleaned = clean(argument)
            guard !cleaned.isEmpty, !cleaned.split(separator: "/").contains(".."),
                FileManager.default.fileExists(atPath: package + "/" + cleaned)
            else { return argument }
            return "/tool/" + cleaned
        }
    }

    private static func clean(_ path: String) -> String {
        path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }

    private func recordHealth(_ context: RunContext, success: Bool) {
        _ = try? store.recordToolOutcome(
            toolID: context.tool.manifest.id, success: success, threshold: configuration.breakerThreshold,
            cooldownMs: Int64(configuration.breakerCooldownSeconds * 1000), atMs: Self.nowMs())
    }

    private func openVault(required: Bool) throws(ExecutorError) -> CredentialVault? {
        try vaultBox.withLock { (box: inout CredentialVault?) throws(ExecutorError) -> CredentialVault? in
            if let box { return box }
            let directory = configuration.home.vaultDirectory
            // Do not create a key just to find nothing: no vault yet means no stored credentials.
            if !required && !FileManager.default.fileExists(atPath: directory + "/vault.sealed") { return nil }
            do {
                box = try CredentialVault(directory: directory)
            } catch {
                throw ExecutorError(.internalError, "cannot open the credential vault: \(error)")
            }
            return box
        }
    }

    @discardableResult
    private func record(_ context: RunContext, _ type: RunEventType, _ data: JSONValue) throws(ExecutorError) -> RunEvent {
        do {
            let event = try store.append(runID: context.runID, type: type, data: context.redact(data), atMs: Self.nowMs())
            context.observer?(event)
            return event
        } catch {
            throw ExecutorError(.internalError, "cannot record \(type.rawValue): \(error)")
        }
    }

    private func transition(_ context: RunContext, _ change: RunChange, _ type: RunEventType, _ data: JSONValue)
        throws(ExecutorError)
    {
        var change = change
        change.result = change.result.map(context.redact)
        do {
            let event = try store.transition(
                runID: context.runID, change: change, event: type, data: context.redact(data), atMs: Self.nowMs())
            context.observer?(event)
        } catch {
            throw ExecutorError(
                error.code == "INVALID_TRANSITION" ? .invalidState : .internalError, "cannot record \(type.rawValue): \(error)")
        }
    }

    /// Replays the run's stored events to the observer (after a prologue created or resumed it).
    private func observe(_ context: RunContext) {
        guard let observer = context.observer else { return }
        let events = (try? store.events(runID: context.runID, after: 0)) ?? []
        if let last = events.last, last.type == .runResumed {
            observer(last)
        } else {
            for event in events { observer(event) }
        }
    }

    private func isCancelled(_ runID: String) -> Bool { local.withLock { $0[runID]?.cancelled ?? false } }

    /// Cancels a run this process drives; false when it drives no such run.
    private func cancelLocal(_ runID: String) -> Bool {
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

    private func startPoller() {
        poller.withLock { poller in
            guard poller == nil else { return }
            let interval = UInt64(max(0.02, configuration.cancellationPollSeconds) * 1e9)
            poller = Task.detached { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: interval)
                    guard let self else { return }
                    let ids = self.local.withLock { Array($0.keys) }
                    guard !ids.isEmpty else { continue }
                    for id in (try? self.store.cancelRequested(among: ids)) ?? [] { _ = self.cancelLocal(id) }
                }
            }
        }
    }

    /// At start-up: runs whose driving process died become `interrupted`; scratch they left is removed.
    private func recover() {
        _ = try? store.markInterrupted(atMs: Self.nowMs(), includePaused: false, isOwnerAlive: ProcessIdentity.isAlive)
        let scratch = configuration.home.scratchDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? [] {
            let path = scratch + "/" + name
            if name.hasPrefix("out-") {
                let runID = String(name.dropFirst(4))
                let status = (try? store.run(id: runID))?.status
                if status == nil || status!.isFinal || status == .paused {
                    JailOutbox.removeStale(at: path)
                }
            }
        }
    }

    /// An outcome for a call that could not touch its run (unknown run, wrong state).
    private func detached(_ runID: String, _ error: ExecutorError, record: RunRecord? = nil) -> ExecutionOutcome {
        ExecutionOutcome(
            runID: runID, status: record?.status ?? .failed, toolID: record?.toolID ?? "",
            toolVersion: record?.toolVersion ?? "", step: record?.step.flatMap(PipelineStep.init) ?? .resolve,
            error: error, artifacts: [])
    }

    /// Milliseconds since the epoch.
    static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// A new, time-ordered run id: `run_` + 12 hex digits of milliseconds + 12 random hex digits.
    static func newRunID() -> String {
        var generator = SystemRandomNumberGenerator()
        let time = String(UInt64(nowMs()), radix: 16)
        let random = String((generator.next() as UInt64) & 0xFFFF_FFFF_FFFF, radix: 16)
        return "run_" + String(repeating: "0", count: max(0, 12 - time.count)) + time
            + String(repeating: "0", count: max(0, 12 - random.count)) + random
    }
}
