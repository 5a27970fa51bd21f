import JSON

/// What an event says, typed: each case is one ``RunEventType`` with its fields. The store keeps
/// its JSON form (``json``, the field names below are the stored and wire contract) and gives it
/// back typed through ``RunEvent/payload``.
public enum RunEventPayload: Sendable, Equatable {
    /// Resource limits a tool ran with.
    public struct Limits: Sendable, Equatable {
        /// Wall-clock limit in seconds.
        public var timeoutSeconds: Int
        /// Memory limit in MiB.
        public var memoryMB: Int
        /// Process and thread limit.
        public var pids: Int
        /// Largest output per stream, in bytes.
        public var outputBytes: Int

        /// Limits from their values.
        public init(timeoutSeconds: Int, memoryMB: Int, pids: Int, outputBytes: Int) {
            self.timeoutSeconds = timeoutSeconds
            self.memoryMB = memoryMB
            self.pids = pids
            self.outputBytes = outputBytes
        }
    }

    /// `run.created`: the tool, how it was named, and the run it replays.
    case runCreated(toolID: String, toolVersion: String, toolReference: String?, replayOf: String?)
    /// `step.started`.
    case stepStarted(step: String)
    /// `policy.checked`: `allow` (with the scopes and who approved), `deny` or `needs_approval` (with why).
    case policyChecked(decision: String, reason: String?, scopes: [String]?, approvedBy: String?)
    /// `approval.requested`: what a human is asked to approve (tool, digests, scopes, risk, reason).
    case approvalRequested(details: [String: JSONValue])
    /// `approval.granted`: who approved, for which input and package, whether it is kept, until when.
    case approvalGranted(
        approvedBy: String, inputDigest: String, packageDigest: String, kept: Bool, reason: String, expiresAt: Int64?)
    /// `credentials.requested`: the missing variables (name, description; never a value).
    case credentialsRequested(missing: [(name: String, description: String)])
    /// `tool.started`: the command, where each variable came from (`request` or `vault`), the limits.
    case toolStarted(command: [String], env: [(name: String, source: String)], limits: Limits)
    /// `tool.output`: a (redacted) tail of a stream.
    case toolOutput(stream: String, text: String, truncated: Bool)
    /// `tool.finished`: the verdict (status, exit code, signal, times, peak memory, truncation).
    case toolFinished(verdict: JSONValue)
    /// `run.paused`: the step it resumes from, the error code and the error object.
    case runPaused(step: String, reason: String, error: JSONValue)
    /// `run.resumed`: the step, whether the policy is checked again, the names of variables given.
    case runResumed(step: String, policyRecheck: Bool, providedEnv: [String])
    /// `run.completed`: the output, the artifacts and the files refused.
    case runCompleted(output: JSONValue, artifacts: [JSONValue], refusedArtifacts: [JSONValue])
    /// `run.failed`: the step and the error object.
    case runFailed(step: String, error: JSONValue)
    /// `run.cancelled`: the step and the error object.
    case runCancelled(step: String, error: JSONValue)
    /// `run.interrupted`: why (the driving process ended).
    case runInterrupted(reason: String)
    /// `run.cancel_requested`: the status the run had when it was asked to stop.
    case cancelRequested(status: String)
    /// `egress.connection`: the proxy's record of one connection (`method`, `host`, `port`, `address`,
    /// `verdict`, `reason`, `addressRefusal`, `bytesUp`, `bytesDown`, `durationMs`), as the proxy wrote it.
    case egressConnection(record: [String: JSONValue])

    /// The event type this payload is.
    public var type: RunEventType {
        switch self {
        case .runCreated: return .runCreated
        case .stepStarted: return .stepStarted
        case .policyChecked: return .policyChecked
        case .approvalRequested: return .approvalRequested
        case .approvalGranted: return .approvalGranted
        case .credentialsRequested: return .credentialsRequested
        case .toolStarted: return .toolStarted
        case .toolOutput: return .toolOutput
        case .toolFinished: return .toolFinished
        case .runPaused: return .runPaused
        case .runResumed: return .runResumed
        case .runCompleted: return .runCompleted
        case .runFailed: return .runFailed
        case .runCancelled: return .runCancelled
        case .runInterrupted: return .runInterrupted
        case .cancelRequested: return .cancelRequested
        case .egressConnection: return .egressConnection
        }
    }

    /// The stored JSON form.
    public var json: JSONValue {
        func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
        switch self {
        case .runCreated(let toolID, let toolVersion, let toolReference, let replayOf):
            var members: [String: JSONValue] = ["toolID": .string(toolID), "toolVersion": .string(toolVersion)]
            if let toolReference { members["toolReference"] = .string(toolReference) }
            if let replayOf { members["replayOf"] = .string(replayOf) }
            return .object(members)
        case .stepStarted(let step):
            return ["step": .string(step)]
        case .policyChecked(let decision, let reason, let scopes, let approvedBy):
            var members: [String: JSONValue] = ["decision": .string(decision)]
            if let reason { members["reason"] = .string(reason) }
            if let scopes {
                members["scopes"] = strings(scopes)
                members["approvedBy"] = approvedBy.map { .string($0) } ?? .null
            }
            return .object(members)
        case .approvalRequested(let details):
            return .object(details)
        case .approvalGranted(let approvedBy, let inputDigest, let packageDigest, let kept, let reason, let expiresAt):
            return [
                "approvedBy": .string(approvedBy), "inputDigest": .string(inputDigest),
                "packageDigest": .string(packageDigest), "kept": .bool(kept), "reason": .string(reason),
                "expiresAt": expiresAt.map { .integer($0) } ?? .null,
            ]
        case .credentialsRequested(let missing):
            return [
                "missingVars": .array(
                    missing.map { ["name": .string($0.name), "description": .string($0.description)] })
            ]
        case .toolStarted(let command, let env, let limits):
            return [
                "command": strings(command),
                "env": .array(env.map { ["name": .string($0.name), "source": .string($0.source)] }),
                "limits": [
                    "timeoutSeconds": .integer(Int64(limits.timeoutSeconds)),
                    "memoryMB": .integer(Int64(limits.memoryMB)),
                    "pids": .integer(Int64(limits.pids)), "outputBytes": .integer(Int64(limits.outputBytes)),
                ],
            ]
        case .toolOutput(let stream, let text, let truncated):
            return ["stream": .string(stream), "text": .string(text), "truncated": .bool(truncated)]
        case .toolFinished(let verdict):
            return verdict
        case .runPaused(let step, let reason, let error):
            return ["step": .string(step), "reason": .string(reason), "error": error]
        case .runResumed(let step, let policyRecheck, let providedEnv):
            return ["step": .string(step), "policyRecheck": .bool(policyRecheck), "providedEnv": strings(providedEnv)]
        case .runCompleted(let output, let artifacts, let refused):
            var members: [String: JSONValue] = ["output": output, "artifacts": .array(artifacts)]
            if !refused.isEmpty { members["refusedArtifacts"] = .array(refused) }
            return .object(members)
        case .runFailed(let step, let error), .runCancelled(let step, let error):
            return ["step": .string(step), "error": error]
        case .runInterrupted(let reason):
            return ["reason": .string(reason)]
        case .cancelRequested(let status):
            return ["status": .string(status)]
        case .egressConnection(let record):
            return .object(record)
        }
    }

    /// The payload of a stored event; nil when its data do not have the shape of its type.
    public init?(type: RunEventType, data: JSONValue) {
        func string(_ key: String) -> String? { data[key]?.stringValue }
        func strings(_ key: String) -> [String]? { data[key]?.arrayValue?.compactMap(\.stringValue) }
        func pairs(_ key: String, _ a: String, _ b: String) -> [(String, String)] {
            (data[key]?.arrayValue ?? []).compactMap { item in
                guard let x = item[a]?.stringValue, let y = item[b]?.stringValue else { return nil }
                return (x, y)
            }
        }
        func int(_ value: JSONValue?) -> Int { Int(value?.doubleValue ?? 0) }
        switch type {
        case .runCreated:
            guard let id = string("toolID"), let version = string("toolVersion") else { return nil }
            self = .runCreated(
                toolID: id, toolVersion: version, toolReference: string("toolReference"), replayOf: string("replayOf"))
        case .stepStarted:
            guard let step = string("step") else { return nil }
            self = .stepStarted(step: step)
        case .policyChecked:
            guard let decision = string("decision") else { return nil }
            self = .policyChecked(
                decision: decision, reason: string("reason"), scopes: strings("scopes"),
                approvedBy: string("approvedBy"))
        case .approvalRequested:
            guard let details = data.objectValue else { return nil }
            self = .approvalRequested(details: details)
        case .approvalGranted:
            guard let by = string("approvedBy") else { return nil }
            self = .approvalGranted(
                approvedBy: by, inputDigest: string("inputDigest") ?? "", packageDigest: string("packageDigest") ?? "",
                kept: data["kept"]?.boolValue ?? false, reason: string("reason") ?? "",
                expiresAt: data["expiresAt"]?.doubleValue.map { Int64($0) })
        case .credentialsRequested:
            self = .credentialsRequested(missing: pairs("missingVars", "name", "description").map { ($0.0, $0.1) })
        case .toolStarted:
            let limits = data["limits"]
            self = .toolStarted(
                command: strings("command") ?? [], env: pairs("env", "name", "source").map { ($0.0, $0.1) },
                limits: Limits(
                    timeoutSeconds: int(limits?["timeoutSeconds"]), memoryMB: int(limits?["memoryMB"]),
                    pids: int(limits?["pids"]), outputBytes: int(limits?["outputBytes"])))
        case .toolOutput:
            self = .toolOutput(
                stream: string("stream") ?? "", text: string("text") ?? "",
                truncated: data["truncated"]?.boolValue ?? false)
        case .toolFinished:
            self = .toolFinished(verdict: data)
        case .runPaused:
            self = .runPaused(step: string("step") ?? "", reason: string("reason") ?? "", error: data["error"] ?? .null)
        case .runResumed:
            self = .runResumed(
                step: string("step") ?? "", policyRecheck: data["policyRecheck"]?.boolValue ?? false,
                providedEnv: strings("providedEnv") ?? [])
        case .runCompleted:
            self = .runCompleted(
                output: data["output"] ?? .null, artifacts: data["artifacts"]?.arrayValue ?? [],
                refusedArtifacts: data["refusedArtifacts"]?.arrayValue ?? [])
        case .runFailed:
            self = .runFailed(step: string("step") ?? "", error: data["error"] ?? .null)
        case .runCancelled:
            self = .runCancelled(step: string("step") ?? "", error: data["error"] ?? .null)
        case .runInterrupted:
            self = .runInterrupted(reason: string("reason") ?? "")
        case .cancelRequested:
            self = .cancelRequested(status: string("status") ?? "")
        case .egressConnection:
            guard let record = data.objectValue else { return nil }
            self = .egressConnection(record: record)
        }
    }

    /// Equal when their stored JSON forms are equal.
    public static func == (lhs: RunEventPayload, rhs: RunEventPayload) -> Bool { lhs.json == rhs.json }
}

extension RunEvent {
    /// What the event says, typed (nil for data of an unexpected shape).
    public var payload: RunEventPayload? { RunEventPayload(type: type, data: data) }
}

extension RunStore {
    /// Appends `payload` as the run's next event.
    @discardableResult
    public func append(runID: String, _ payload: RunEventPayload, atMs: Int64) throws(RunStoreError) -> RunEvent {
        try append(runID: runID, type: payload.type, data: payload.json, atMs: atMs)
    }
}
