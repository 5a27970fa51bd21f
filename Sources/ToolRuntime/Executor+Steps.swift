import Credentials
import Foundation
import JSON
import Jail
import Logging
import Policy
import RunStorage
import Schema
import Synchronization

/// The pipeline's steps: each records its events and throws the error that fails or pauses the run.
extension Executor {
    /// The caller's `env` may only name variables the tool declares, with sane values.
    func validateEnv(_ context: RunContext) throws(ExecutorError) {
        let manifest = context.tool.manifest
        var problems: [JSONValue] = []
        let declared = Dictionary(manifest.env.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (name, value) in context.providedEnv.sorted(by: { $0.key < $1.key }) {
            if declared[name] == nil {
                problems.append(
                    [
                        "path": .string("/env/\(name)"),
                        "message": .string(
                            "is not an environment variable the tool declares (declared: \(manifest.env.isEmpty ? "none" : manifest.env.map(\.name).joined(separator: ", ")))"
                        ),
                    ])
            } else if value.utf8.contains(0) {
                problems.append(["path": .string("/env/\(name)"), "message": "must not contain a NUL byte"])
            } else if value.utf8.count > 65_536 {
                problems.append(["path": .string("/env/\(name)"), "message": "is longer than 64 KiB"])
            } else if declared[name]?.secret == true, value.utf8.count < Redactor.minimumSecretLength {
                problems.append(
                    [
                        "path": .string("/env/\(name)"),
                        "message": .string(
                            "is a secret shorter than \(Redactor.minimumSecretLength) bytes, which could not be redacted"
                        ),
                    ])
            }
        }
        if !problems.isEmpty {
            let first = problems[0]
            throw ExecutorError(
                .invalidInput,
                "env: \(first["path"]?.stringValue ?? "") \(first["message"]?.stringValue ?? "")"
                    + (problems.count > 1 ? " (and \(problems.count - 1) more)" : ""),
                details: ["errors": .array(problems)])
        }
    }

    func validateInput(_ context: RunContext) throws(ExecutorError) {
        try validateEnv(context)
        let manifest = context.tool.manifest
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

    func policyRequest(_ context: RunContext) -> PolicyRequest {
        let manifest = context.tool.manifest
        var request = PolicyRequest(
            toolID: manifest.id, toolVersion: manifest.version.description, scopes: manifest.scopes,
            risk: PolicyRequest.RiskLevel(rawValue: manifest.risk.level.rawValue) ?? .high,
            externalWrite: manifest.risk.externalWrite, readOnly: manifest.risk.readOnly, input: context.input)
        // Approvals are bound to this exact package too: a look-alike claiming the id cannot reuse them.
        request.packageDigest = context.tool.packageDigest
        return request
    }

    func checkPolicy(_ context: RunContext) throws(ExecutorError) {
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
            // A harness's approval (omega-exec test) counts for this run only; a human's is kept.
            if context.keepsApproval {
                do {
                    try store.record(approval)
                } catch {
                    throw ExecutorError(.internalError, "cannot record the approval: \(error)")
                }
            }
            try record(
                context, .approvalGranted,
                [
                    "approvedBy": .string(approver), "inputDigest": .string(request.inputDigest),
                    "packageDigest": .string(request.packageDigest), "kept": .bool(context.keepsApproval),
                    "reason": .string(reason),
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
                "inputDigest": .string(request.inputDigest), "packageDigest": .string(request.packageDigest),
                "scopes": .array(manifest.scopes.map { .string($0) }),
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

    func resolveCredentials(_ context: RunContext) throws(ExecutorError) {
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
            // `tool:<id>` credentials go only to a package whose id is vouched for (installed, or signed
            // by a trusted key); a folder or archive named by path could claim any id.
            let vouched = context.tool.isInstalled || context.tool.signer != nil
            for (name, value) in vault.resolve(
                wanted, toolID: manifest.id, user: context.user, includeToolScope: vouched)
            {
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

    func execute(_ context: RunContext) async throws(ExecutorError) {
        let manifest = context.tool.manifest
        let health: ToolHealth
        do {
            health = try store.toolHealth(toolID: context.breakerKey)
        } catch {
            throw ExecutorError(.internalError, "cannot read the circuit breaker: \(error)")
        }
        let now = Self.nowMs()
        context.healthWasClean = health.consecutiveFailures == 0 && health.openUntilMs == nil
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
            throw ExecutorError(
                .toolUnavailable, "\(manifest.id) is not a sandbox job", details: ["reason": "unsupported_binding"])
        }
        guard network == .none else {
            throw ExecutorError(
                .toolUnavailable, "\(manifest.id) asks for network egress, which this appliance does not provide",
                details: ["reason": "egress_unavailable"])
        }

        try await limiter.acquire(toolID: manifest.id)
        defer { limiter.release(toolID: manifest.id) }
        if isCancelled(context.runID) {
            throw ExecutorError(.cancelled, "the run was cancelled before the tool started")
        }

        let outboxPath = configuration.home.scratchDirectory + "/out-" + context.runID
        let outbox: JailOutbox
        do {
            outbox = try JailOutbox.create(
                at: outboxPath, capacityBytes: configuration.artifactCapacityBytes,
                maxFiles: configuration.maxArtifacts,
                ownerUID: jail.hostUID, ownerGID: jail.hostGID)
        } catch {
            throw ExecutorError(.sandboxFailure, "cannot prepare /work/out: \(error)")
        }
        defer { reaper.reap(outbox) }

        var spec = JailSpec(program: command[0], arguments: Self.arguments(command, package: context.tool.directory))
        if command[0].contains("/") && !command[0].hasPrefix("/") { spec.program = "/tool/" + Self.clean(command[0]) }
        spec.environment = manifest.env.compactMap { variable in context.env[variable.name].map { (variable.name, $0) }
        }
        spec.limits.wallSeconds = Double(manifest.limits.timeoutSeconds)
        spec.limits.memoryBytes = UInt64(manifest.limits.memoryMB) << 20
        spec.limits.pids = manifest.limits.pids
        spec.limits.outputBytes = manifest.limits.outputBytes
        spec.toolDirectory = context.tool.directory
        spec.binds = [JailSpec.Bind(source: outbox.path, destination: "/work/out", writable: true)]
        spec.stdinData = Array(context.input.jsonText.utf8)
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
                    "memoryMB": .integer(Int64(manifest.limits.memoryMB)),
                    "pids": .integer(Int64(manifest.limits.pids)),
                    "outputBytes": .integer(Int64(manifest.limits.outputBytes)),
                ],
            ])
        let startedAt = Self.nowMs()
        let result: JailResult
        do {
            result = try await JailRunner.run(jail, spec, cancellation: cancellation)
        } catch {
            local.withLock { $0[context.runID]?.jail = nil }
            throw ExecutorError(
                .sandboxFailure, "the jail could not start the tool: \(context.redactor.redact(error.description))")
        }
        local.withLock { $0[context.runID]?.jail = nil }
        let finishedAt = Self.nowMs()
        let wasCancelled = cancellation.isCancelled
        let stderr = context.redactor.redact(result.stderr)
        if !stderr.isEmpty {
            try record(
                context, .toolOutput,
                [
                    "stream": "stderr", "text": .string(String(stderr.suffix(65_536))),
                    "truncated": .bool(result.stderrTruncated),
                ])
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
        do {
            try store.recordToolRun(
                ToolRunRecord(
                    runID: context.runID, attempt: 1, toolID: manifest.id, toolVersion: manifest.version.description,
                    inputDigest: context.inputDigest, output: parsedOutput.map(context.redact),
                    status: wasCancelled ? "cancelled" : result.status.rawValue, exitCode: result.exitCode,
                    signal: result.signal, wallMs: result.wallMs, cpuMs: result.cpuMs, maxRssKb: result.maxRssKb,
                    startedAtMs: startedAt, finishedAtMs: finishedAt))
        } catch {
            logger.warning("could not record the tool run", metadata: ["run": "\(context.runID)", "error": "\(error)"])
        }
        try record(context, .toolFinished, .object(verdict))

        // Artifacts are collected whatever the verdict (a failed tool's files help to debug it).
        collectArtifacts(context, outbox: outbox)

        if wasCancelled {
            throw ExecutorError(
                .cancelled, "the run was cancelled while the tool ran", details: ["verdict": .object(verdict)])
        }
        let failure: ExecutorError?
        switch result.status {
        case .ok: failure = nil
        case .timeout:
            failure = ExecutorError(
                .timeout, "\(manifest.id) ran past its limit: \(context.redactor.redact(result.error ?? "timeout"))",
                details: ["verdict": .object(verdict)])
        case .setupError:
            failure = ExecutorError(
                .sandboxFailure,
                "the jail could not be set up: \(context.redactor.redact(result.error ?? "setup error"))",
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
            // A jail that could not be set up says nothing about the tool's health.
            if result.status != .setupError { recordHealth(context, success: false) }
            throw failure
        }
    }

    func validateOutput(_ context: RunContext) throws(ExecutorError) {
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
                                [
                                    "path": .string($0.instancePath.description),
                                    "message": .string(context.redactor.redact($0.message)),
                                ]
                            })
                    ])
            }
        }
        context.output = context.redact(output)
    }

    func finish(_ context: RunContext) throws(ExecutorError) -> ExecutionOutcome {
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
            context,
            RunChange(
                status: .completed, step: .some(PipelineStep.finish.rawValue), owner: .some(nil), result: outcome.json),
            .runCompleted, .object(data))
        return outcome
    }

    func pause(_ context: RunContext, at step: PipelineStep, _ error: ExecutorError) -> ExecutionOutcome {
        let manifest = context.tool.manifest
        let safe = ExecutorError(error.code, context.redactor.redact(error.message), details: error.details)
        let outcome = ExecutionOutcome(
            runID: context.runID, status: .paused, toolID: manifest.id, toolVersion: manifest.version.description,
            step: step, error: safe, artifacts: [])
        do {
            try transition(
                context,
                RunChange(status: .paused, step: .some(step.rawValue), owner: .some(nil), result: outcome.json),
                .runPaused, ["step": .string(step.rawValue), "reason": .string(safe.code.rawValue), "error": safe.json])
        } catch {
            return fail(context, at: step, error)
        }
        return outcome
    }

    func fail(_ context: RunContext, at step: PipelineStep, _ error: ExecutorError) -> ExecutionOutcome {
        let manifest = context.tool.manifest
        let safe = ExecutorError(
            error.code, context.redactor.redact(error.message),
            details: context.redact(.object(error.details)).objectValue ?? [:])
        let cancelled = safe.code == .cancelled
        let outcome = ExecutionOutcome(
            runID: context.runID, status: cancelled ? .cancelled : .failed, toolID: manifest.id,
            toolVersion: manifest.version.description, step: step, output: nil, error: safe, verdict: context.verdict,
            artifacts: context.artifacts)
        _ = try? transition(
            context,
            RunChange(
                status: cancelled ? .cancelled : .failed, step: .some(step.rawValue), owner: .some(nil),
                result: outcome.json),
            cancelled ? .runCancelled : .runFailed, ["step": .string(step.rawValue), "error": safe.json])
        return outcome
    }
}
