import JSON
import RunStorage

/// How a call ended for now: completed with an output, failed with an error, or paused with the
/// error that says what it waits for.
public struct ExecutionOutcome: Sendable {
    /// The run.
    public var runID: String
    /// The run's status (`completed`, `failed`, `cancelled` or `paused`).
    public var status: RunStatus
    /// The tool's id and version (empty when the tool was not found).
    public var toolID: String
    /// The tool's version.
    public var toolVersion: String
    /// The step the run reached (for a pause: the step it resumes from).
    public var step: PipelineStep
    /// The tool's (redacted) output when completed.
    public var output: JSONValue?
    /// What went wrong, or what the pause waits for.
    public var error: OmegaError?
    /// The jail's verdict (without stdout/stderr), when the tool ran.
    public var verdict: JSONValue?
    /// Files the tool left in `/work/out`.
    public var artifacts: [ArtifactRecord]

    /// An outcome from its parts.
    public init(
        runID: String, status: RunStatus, toolID: String, toolVersion: String, step: PipelineStep,
        output: JSONValue? = nil, error: OmegaError?, verdict: JSONValue? = nil, artifacts: [ArtifactRecord]
    ) {
        self.runID = runID
        self.status = status
        self.toolID = toolID
        self.toolVersion = toolVersion
        self.step = step
        self.output = output
        self.error = error
        self.verdict = verdict
        self.artifacts = artifacts
    }

    /// Whether the call completed (an error about a completed run, such as resuming it, is not success).
    public var succeeded: Bool { status == .completed && error == nil }

    /// The wire result: `{"success": true, "runId", "output", "artifacts", "verdict"}`, or the error
    /// object of DESIGN §5 with `runId` (and `status`) beside it.
    public var json: JSONValue {
        if let error {
            guard case .object(var members) = error.json else { return error.json }
            members["runId"] = .string(runID)
            members["status"] = .string(status.rawValue)
            if let verdict { members["verdict"] = verdict }
            return .object(members)
        }
        var members: [String: JSONValue] = [
            "success": true, "runId": .string(runID), "output": output ?? .null,
            "artifacts": .array(artifacts.map(\.json)),
        ]
        if let verdict { members["verdict"] = verdict }
        return .object(members)
    }
}
