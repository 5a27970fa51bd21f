import Egress
import EgressProxy
import Foundation
import JSON
import Jail
import RunStorage
import ToolPackage

/// Runs the tool in the jail: the circuit breaker and the concurrency caps first, then a size-capped
/// outbox at `/work/out` and the spec from ``ToolJailSpec``; the verdict is recorded (event and tool
/// run), artifacts are collected whatever it says, and it is mapped to the run's error.
struct JailStage: PipelineStage {
    static let step = PipelineStep.execute

    func run(_ context: RunContext, runner: ToolRunner) async throws(OmegaError) {
        let manifest = context.tool.manifest
        try checkBreaker(context, runner: runner)
        guard case .sandboxJob(let command, let network) = manifest.execution, !command.isEmpty else {
            throw OmegaError(
                .toolUnavailable, "\(manifest.id) is not a sandbox job", details: ["reason": "unsupported_binding"])
        }
        // The hosts, re-read from the policy in force now (a resumed run may have waited for hours).
        let egress =
            network == .egress
            ? EgressGrants.rules(for: manifest, engine: try EgressGrants.engine(runner.configuration)) : []
        if let refusal = EgressGrants.refusal(for: manifest, rules: egress) { throw refusal }

        try await runner.limiter.acquire(toolID: manifest.id)
        defer { runner.limiter.release(toolID: manifest.id) }
        if runner.isCancelled(context.runID) {
            throw OmegaError(.cancelled, "the run was cancelled before the tool started")
        }

        let configuration = runner.configuration
        let outbox: JailOutbox
        do {
            outbox = try JailOutbox.create(
                at: configuration.home.scratchDirectory + "/out-" + context.runID,
                capacityBytes: configuration.artifactCapacityBytes, maxFiles: configuration.maxArtifacts,
                ownerUID: runner.jail.hostUID, ownerGID: runner.jail.hostGID)
        } catch {
            throw OmegaError(.sandboxFailure, "cannot prepare /work/out: \(error)")
        }
        defer { runner.reaper.reap(outbox) }
        let session = egress.isEmpty ? nil : try await openEgress(context, rules: egress, runner: runner)
        do {
            try await execute(context, runner: runner, outbox: outbox, egressSocket: session?.socketPath)
        } catch {
            await closeEgress(context)
            throw error
        }
    }

    /// Runs the tool with the outbox (and the egress socket) ready; the session, if any, is closed
    /// before the verdict is recorded, so every connection's event comes before `tool.finished`.
    private func execute(_ context: RunContext, runner: ToolRunner, outbox: JailOutbox, egressSocket: String?)
        async throws(OmegaError)
    {
        let manifest = context.tool.manifest
        let configuration = runner.configuration
        guard case .sandboxJob(let command, _) = manifest.execution,
            let spec = try ToolJailSpec.make(
                manifest: manifest, packageDirectory: context.tool.directory, environment: context.env,
                input: Array(context.input.jsonText.utf8), outbox: outbox.path, egressSocket: egressSocket)
        else { throw OmegaError(.toolUnavailable, "\(manifest.id) is not a sandbox job") }

        guard let cancellation = runner.attachJail(to: context.runID) else {
            throw OmegaError(.cancelled, "the run was cancelled before the tool started")
        }
        try runner.record(
            context,
            .toolStarted(
                command: command,
                env: manifest.env.compactMap { v in context.envSources[v.name].map { (v.name, $0) } },
                limits: ToolJailSpec.recorded(spec.limits)))
        let startedAt = ToolRunner.nowMs()
        let result: JailResult
        do {
            result = try await JailRunner.run(runner.jail, spec, cancellation: cancellation)
        } catch {
            runner.detachJail(from: context.runID)
            throw OmegaError(
                .sandboxFailure, "the jail could not start the tool: \(context.redactor.redact(error.description))")
        }
        runner.detachJail(from: context.runID)
        await closeEgress(context)
        let verdict = Verdict(result, cancelled: cancellation.isCancelled, redactor: context.redactor)
        try record(verdict, context, runner: runner, startedAt: startedAt)

        // Artifacts are collected whatever the verdict (a failed tool's files help to debug it).
        ArtifactCollector(configuration: configuration).collect(context, outbox: outbox)

        if let failure = verdict.error(manifest: manifest, limits: spec.limits, context: context) {
            // A jail that could not be set up says nothing about the tool's health.
            if !verdict.cancelled && result.status != .setupError { runner.recordHealth(context, success: false) }
            throw failure
        }
    }

    /// Opens the run's socket on the process's egress proxy, in a folder of the scratch space only this
    /// process's user and the jail's host group can enter (``EgressSocketFolder``); each connection's
    /// record becomes an `egress.connection` event through the run's ``EgressRecorder``.
    private func openEgress(_ context: RunContext, rules: [EgressRule], runner: ToolRunner) async throws(OmegaError)
        -> EgressSession
    {
        let folder = runner.configuration.home.scratchDirectory + "/egress-" + context.runID
        do {
            try? FileManager.default.removeItem(atPath: folder)
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try EgressSocketFolder.admit(folder, for: runner.jail)
        } catch {
            throw OmegaError(.sandboxFailure, "cannot prepare the egress socket's folder: \(error)")
        }
        let grant = EgressGrant(rules: rules, limits: runner.configuration.egressLimits)
        let recorder = EgressRecorder(context, runner: runner)
        do {
            let session = try await runner.egress.open(socketPath: folder + "/proxy.sock", grant: grant) { record in
                recorder.add(record)
            }
            context.egressSession = session
            context.egressRecorder = recorder
            return session
        } catch {
            await recorder.finish()
            try? FileManager.default.removeItem(atPath: folder)
            throw OmegaError(.sandboxFailure, "cannot open the egress proxy for the run: \(error)")
        }
    }

    /// Ends the run's egress: open connections are closed (recorded as `run_ended`), the socket and
    /// its folder removed. Safe to call twice.
    private func closeEgress(_ context: RunContext) async {
        guard let session = context.egressSession else { return }
        _ = await session.close()
        await context.egressRecorder?.finish()
        context.egressSession = nil
        context.egressRecorder = nil
        try? FileManager.default.removeItem(atPath: (session.socketPath as NSString).deletingLastPathComponent)
    }

    /// Refuses the call while the tool's circuit is open.
    private func checkBreaker(_ context: RunContext, runner: ToolRunner) throws(OmegaError) {
        let manifest = context.tool.manifest
        let health: ToolHealth
        do {
            health = try runner.store.toolHealth(toolID: context.breakerKey)
        } catch {
            throw OmegaError(.internalError, "cannot read the circuit breaker: \(error)")
        }
        let now = ToolRunner.nowMs()
        context.healthWasClean = health.consecutiveFailures == 0 && health.openUntilMs == nil
        if health.isOpen(atMs: now) {
            throw OmegaError(
                .toolUnavailable,
                "\(manifest.id) is unavailable: its circuit is open after \(health.consecutiveFailures) consecutive failures",
                details: [
                    "reason": "circuit_open", "consecutiveFailures": .integer(Int64(health.consecutiveFailures)),
                    "retryAfterMs": .integer(max(0, (health.openUntilMs ?? now) - now)),
                ])
        }
    }

    /// Records stderr (redacted), the tool run and `tool.finished`; keeps the verdict and stdout on the context.
    private func record(_ verdict: Verdict, _ context: RunContext, runner: ToolRunner, startedAt: Int64)
        throws(OmegaError)
    {
        let manifest = context.tool.manifest
        let result = verdict.result
        if !verdict.stderr.isEmpty {
            try runner.record(
                context,
                .toolOutput(
                    stream: "stderr", text: String(verdict.stderr.suffix(65_536)), truncated: result.stderrTruncated))
        }
        context.verdict = verdict.json
        context.stdout = result.stdout
        context.stdoutDocument = verdict.document
        do {
            try runner.store.recordToolRun(
                ToolRunRecord(
                    runID: context.runID, attempt: 1, toolID: manifest.id, toolVersion: manifest.version.description,
                    inputDigest: context.inputDigest, output: verdict.parsedOutput.map(context.redact),
                    status: verdict.status, exitCode: result.exitCode, signal: result.signal, wallMs: result.wallMs,
                    cpuMs: result.cpuMs, maxRssKb: result.maxRssKb, startedAtMs: startedAt,
                    finishedAtMs: ToolRunner.nowMs()))
        } catch {
            runner.logger.warning(
                "could not record the tool run", metadata: ["run": "\(context.runID)", "error": "\(error)"])
        }
        try runner.record(context, .toolFinished(verdict: verdict.json))
    }
}
