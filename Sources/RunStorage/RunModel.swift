import JSON
import Policy

/// Where a run is in its life. `completed`, `failed`, `cancelled` and `interrupted` are final.
public enum RunStatus: String, Sendable, CaseIterable {
    /// Recorded, not started.
    case created
    /// Going through the pipeline.
    case running
    /// Waiting (missing credentials, an approval); resumes from the step that paused.
    case paused
    /// Finished successfully.
    case completed
    /// Finished with an error.
    case failed
    /// Stopped on request.
    case cancelled
    /// The process running it died; found at the next start.
    case interrupted

    /// Whether nothing can follow.
    public var isFinal: Bool { [.completed, .failed, .cancelled, .interrupted].contains(self) }

    /// The statuses a run may move to from this one.
    public var successors: Set<RunStatus> {
        switch self {
        case .created: return [.running, .paused, .failed, .cancelled, .interrupted]
        case .running: return [.paused, .completed, .failed, .cancelled, .interrupted]
        case .paused: return [.running, .failed, .cancelled, .interrupted]
        case .completed, .failed, .cancelled, .interrupted: return []
        }
    }
}

/// The event types of DESIGN §6 (plus `run.interrupted`, written by recovery).
public enum RunEventType: String, Sendable, CaseIterable {
    case runCreated = "run.created"
    case stepStarted = "step.started"
    case policyChecked = "policy.checked"
    case approvalRequested = "approval.requested"
    case credentialsRequested = "credentials.requested"
    case toolStarted = "tool.started"
    case toolOutput = "tool.output"
    case toolFinished = "tool.finished"
    case runPaused = "run.paused"
    case runResumed = "run.resumed"
    case runCompleted = "run.completed"
    case runFailed = "run.failed"
    case runCancelled = "run.cancelled"
    case runInterrupted = "run.interrupted"
    /// A human approved the paused call (who, until when, for which input digest).
    case approvalGranted = "approval.granted"
    /// Somebody asked for the run to stop (from another process, through the store).
    case cancelRequested = "run.cancel_requested"
}

/// One run as stored.
public struct RunRecord: Sendable, Equatable {
    /// The run's id.
    public var id: String
    /// The tool it runs.
    public var toolID: String
    /// The tool's version.
    public var toolVersion: String
    /// Where it is.
    public var status: RunStatus
    /// The input (secrets redacted).
    public var input: JSONValue
    /// When it was created, in milliseconds since the epoch.
    public var createdAtMs: Int64
    /// When its status last changed, in milliseconds since the epoch.
    public var updatedAtMs: Int64
    /// How the tool was named when the run was made (a folder, an archive, or `id@version`).
    public var toolReference: String = ""
    /// SHA-256 of the package's signed description (what ran), empty when unknown.
    public var packageDigest: String = ""
    /// SHA-256 of the canonical input as given (before any redaction).
    public var inputDigest: String = ""
    /// The user the run belongs to (credential scope `user:`), if any.
    public var user: String?
    /// The pipeline step the run is at (the step a paused run resumes from).
    public var step: String?
    /// The process that drives the run (`bootid:pid:starttime`); nil when nobody does (paused, final).
    public var owner: String?
    /// The final outcome (success or error object), once there is one.
    public var result: JSONValue?
    /// The run this one replays, if any.
    public var replayOf: String?
    /// Whether someone asked for the run to stop.
    public var cancelRequested: Bool = false

    /// Whether the stored input is exactly the input given (no credential pattern was redacted out of it).
    public var inputIsExact: Bool { inputDigest.isEmpty || Approval.digest(of: input) == inputDigest }
}

/// One entry of a run's append-only event log.
public struct RunEvent: Sendable, Equatable {
    /// The run it belongs to.
    public var runID: String
    /// 1, 2, 3… within the run, without gaps.
    public var sequence: Int64
    /// What happened.
    public var type: RunEventType
    /// When, in milliseconds since the epoch.
    public var timestampMs: Int64
    /// Details (secrets redacted).
    public var data: JSONValue
}

/// A failure of the run store, with a stable code: `RUN_NOT_FOUND`, `RUN_EXISTS`,
/// `INVALID_TRANSITION`, `STORE_FAILURE`.
public struct RunStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stable code.
    public let code: String
    /// What went wrong.
    public let message: String

    /// Creates an error.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// `CODE: message`.
    public var description: String { "\(code): \(message)" }
}

/// Everything is a run (DESIGN §6): runs and their ordered, append-only events, the tool executions,
/// credential requests, approvals and the circuit breaker's state. Behind a protocol so that another
/// backend (PostgreSQL for a fleet) can replace SQLite.
public protocol RunStore: ApprovalStore {
    /// Records a new run and its `run.created` event, atomically.
    func createRun(_ draft: RunDraft, atMs: Int64) throws(RunStoreError) -> RunRecord
    /// Appends an event (the next sequence number of the run).
    @discardableResult
    func append(runID: String, type: RunEventType, data: JSONValue, atMs: Int64) throws(RunStoreError) -> RunEvent
    /// Applies `change` and appends `event`, atomically; refuses transitions the life cycle forbids.
    @discardableResult
    func transition(runID: String, change: RunChange, event: RunEventType, data: JSONValue, atMs: Int64)
        throws(RunStoreError) -> RunEvent
    /// The run, or nil.
    func run(id: String) throws(RunStoreError) -> RunRecord?
    /// Runs, newest first, optionally only those with `status`.
    func runs(status: RunStatus?, limit: Int) throws(RunStoreError) -> [RunRecord]
    /// The run's events after `sequence`, in order.
    func events(runID: String, after sequence: Int64) throws(RunStoreError) -> [RunEvent]
    /// At start-up: every run left `created` or `running` (or `paused`, when `includePaused`) whose
    /// owner `isOwnerAlive` says is dead (or that has no owner) becomes `interrupted`, with a
    /// `run.interrupted` event. Returns their ids.
    func markInterrupted(atMs: Int64, includePaused: Bool, isOwnerAlive: (String) -> Bool) throws(RunStoreError)
        -> [String]
    /// Asks for a run to stop: sets its flag and appends `run.cancel_requested`. False when it is final.
    func requestCancel(runID: String, atMs: Int64) throws(RunStoreError) -> Bool
    /// Which of `runIDs` have a cancellation request.
    func cancelRequested(among runIDs: [String]) throws(RunStoreError) -> [String]
    /// Records one execution of the tool.
    func recordToolRun(_ record: ToolRunRecord) throws(RunStoreError)
    /// The executions of a run's tool, in order.
    func toolRuns(runID: String) throws(RunStoreError) -> [ToolRunRecord]
    /// Records a request for missing credentials (names only).
    func recordCredentialRequest(runID: String, names: [String], atMs: Int64) throws(RunStoreError)
    /// Marks the run's open credential requests answered.
    func resolveCredentialRequests(runID: String, atMs: Int64) throws(RunStoreError)
    /// The run's credential requests, oldest first.
    func credentialRequests(runID: String) throws(RunStoreError) -> [CredentialRequestRecord]
    /// The breaker state of `toolID`.
    func toolHealth(toolID: String) throws(RunStoreError) -> ToolHealth
    /// Records the outcome of a call atomically: a success closes the circuit; a failure adds one and,
    /// at `threshold` consecutive failures, opens it until `atMs + cooldownMs`.
    @discardableResult
    func recordToolOutcome(toolID: String, success: Bool, threshold: Int, cooldownMs: Int64, atMs: Int64)
        throws(RunStoreError) -> ToolHealth
}

extension RunStore {
    /// Records a new run with only its tool and input (see ``createRun(_:atMs:)``).
    public func createRun(id: String, toolID: String, toolVersion: String, input: JSONValue, atMs: Int64)
        throws(RunStoreError) -> RunRecord
    {
        try createRun(RunDraft(id: id, toolID: toolID, toolVersion: toolVersion, input: input), atMs: atMs)
    }

    /// Moves a run to `status` and appends `event`, atomically.
    @discardableResult
    public func transition(runID: String, to status: RunStatus, event: RunEventType, data: JSONValue, atMs: Int64)
        throws(RunStoreError) -> RunEvent
    {
        try transition(runID: runID, change: RunChange(status: status), event: event, data: data, atMs: atMs)
    }

    /// At start-up: marks every unfinished run interrupted (for a store only this process uses).
    public func markInterrupted(atMs: Int64, includePaused: Bool = false) throws(RunStoreError) -> [String] {
        try markInterrupted(atMs: atMs, includePaused: includePaused, isOwnerAlive: { _ in false })
    }
}
