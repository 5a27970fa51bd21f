import Credentials
import Foundation
import JSON
import Jail
import Logging
import RunStorage
import Synchronization

/// Artifacts, events, cancellation, recovery and ids.
extension Executor {
    func collectArtifacts(_ context: RunContext, outbox: JailOutbox) {
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
                var path = destination + "/" + item.path
                var redacted = false
                // A name that holds a secret is renamed on disk, not only in the record.
                let keptName = context.redactor.redact(item.path)
                if keptName != item.path {
                    let renamed = destination + "/" + keptName.replacingOccurrences(of: "/", with: "_")
                    if (try? FileManager.default.moveItem(atPath: path, toPath: renamed)) != nil {
                        path = renamed
                    } else {
                        try? FileManager.default.removeItem(atPath: path)
                        context.refusedArtifacts.append([
                            "path": .string(keptName), "reason": "its name holds a secret",
                        ])
                        continue
                    }
                    redacted = true
                }
                if var data = FileManager.default.contents(atPath: path) {
                    // Bytes, not text: binary files are searched for secret values too.
                    if let clean = context.redactor.redactSecretValues(in: Array(data)) {
                        data = Data(clean)
                        try? data.write(to: URL(fileURLWithPath: path))
                        redacted = true
                    } else if let text = String(data: data, encoding: .utf8), context.redactor.containsSecret(text) {
                        data = Data(context.redactor.redact(text).utf8)
                        try? data.write(to: URL(fileURLWithPath: path))
                        redacted = true
                    }
                    context.artifacts.append(
                        ArtifactRecord(
                            path: String(path.dropFirst(destination.count + 1)), bytes: UInt64(data.count),
                            sha256: ArtifactDigest.sha256(data), redacted: redacted))
                }
            case .refused(let reason):
                context.refusedArtifacts.append([
                    "path": .string(context.redactor.redact(item.path)), "reason": .string(reason),
                ])
            case .skippedOverLimit:
                context.refusedArtifacts.append(
                    ["path": .string(context.redactor.redact(item.path)), "reason": "over the artifact limits"])
            }
        }
    }

    /// The command's arguments, with relative paths that name files of the package made absolute
    /// under `/tool` (so `["python3", "main.py"]` works from the `/work` working directory).
    public static func arguments(_ command: [String], package: String) -> [String] {
        command.dropFirst().map { argument in
            guard !argument.hasPrefix("/"), !argument.hasPrefix("-"), !argument.isEmpty else { return argument }
            let cleaned = clean(argument)
            guard !cleaned.isEmpty, !cleaned.split(separator: "/").contains(".."),
                FileManager.default.fileExists(atPath: package + "/" + cleaned)
            else { return argument }
            return "/tool/" + cleaned
        }
    }

    static func clean(_ path: String) -> String {
        path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }

    func recordHealth(_ context: RunContext, success: Bool) {
        // A success of a tool with a clean record changes nothing: skip the write.
        if success && context.healthWasClean { return }
        do {
            let health = try store.recordToolOutcome(
                toolID: context.breakerKey, success: success, threshold: configuration.breakerThreshold,
                cooldownMs: Int64(configuration.breakerCooldownSeconds * 1000), atMs: Self.nowMs())
            if !success, health.consecutiveFailures == configuration.breakerThreshold {
                logger.notice(
                    "circuit opened",
                    metadata: ["tool": "\(health.toolID)", "failures": "\(health.consecutiveFailures)"])
            }
        } catch {
            logger.warning("could not record the circuit breaker outcome", metadata: ["error": "\(error)"])
        }
    }

    /// Opens the vault as it is now (credentials stored by another process since the last run count):
    /// it is read for each run that needs a stored credential, never cached.
    func openVault(required: Bool) throws(ExecutorError) -> CredentialVault? {
        let directory = configuration.home.vaultDirectory
        // Do not create a key just to find nothing: no vault yet means no stored credentials.
        if !required && !FileManager.default.fileExists(atPath: directory + "/vault.sealed") { return nil }
        do {
            return try CredentialVault(directory: directory)
        } catch {
            throw ExecutorError(.internalError, "cannot open the credential vault: \(error)")
        }
    }

    @discardableResult
    func record(_ context: RunContext, _ type: RunEventType, _ data: JSONValue) throws(ExecutorError) -> RunEvent {
        do {
            let event = try store.append(
                runID: context.runID, type: type, data: context.redact(data), atMs: Self.nowMs())
            context.observer?(event)
            return event
        } catch {
            throw ExecutorError(.internalError, "cannot record \(type.rawValue): \(error)")
        }
    }

    func transition(_ context: RunContext, _ change: RunChange, _ type: RunEventType, _ data: JSONValue)
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
                error.code == "INVALID_TRANSITION" ? .invalidState : .internalError,
                "cannot record \(type.rawValue): \(error)")
        }
    }

    /// Replays the run's stored events to the observer (after a prologue created or resumed it).
    func observe(_ context: RunContext) {
        guard let observer = context.observer else { return }
        let events = (try? store.events(runID: context.runID, after: 0)) ?? []
        if let last = events.last, last.type == .runResumed {
            observer(last)
        } else {
            for event in events { observer(event) }
        }
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

    func startPoller() {
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
    func recover() {
        do {
            let ids = try store.markInterrupted(
                atMs: Self.nowMs(), includePaused: false, isOwnerAlive: ProcessIdentity.isAlive)
            if !ids.isEmpty {
                logger.notice("marked runs interrupted", metadata: ["runs": "\(ids.joined(separator: ","))"])
            }
        } catch {
            logger.error("could not mark interrupted runs", metadata: ["error": "\(error)"])
        }
        let scratch = configuration.home.scratchDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? [] {
            let path = scratch + "/" + name
            if name.hasPrefix("out-") {
                let runID = String(name.dropFirst(4))
                let status = (try? store.run(id: runID))?.status
                if status == nil || status!.isFinal || status == .paused {
                    JailOutbox.removeStale(at: path)
                }
            } else if name.hasPrefix("pkg-"),
                let pid = name.split(separator: "-").dropFirst().first.flatMap({ Int32($0) }),
                ProcessIdentity.identity(of: pid) == nil
            {
                // A package copy whose process is gone.
                try? FileManager.default.removeItem(atPath: path)
            }
        }
    }

    /// An outcome for a call that could not touch its run (unknown run, wrong state).
    func detached(_ runID: String, _ error: ExecutorError, record: RunRecord? = nil) -> ExecutionOutcome {
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
