import Manifest

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

/// Everything is a run (DESIGN §6): runs and their ordered, append-only events. Behind a protocol so
/// that another backend (PostgreSQL for a fleet) can replace SQLite.
public protocol RunStore: Sendable {
    /// Records a new run and its `run.created` event, atomically.
    func createRun(id: String, toolID: String, toolVersion: String, input: JSONValue, atMs: Int64)
        throws(RunStoreError) -> RunRecord
    /// Appends an event (the next sequence number of the run).
    @discardableResult
    func append(runID: String, type: RunEventType, data: JSONValue, atMs: Int64) throws(RunStoreError) -> RunEvent
    /// Moves a run to `status` and appends `event`, atomically; refuses transitions the life cycle forbids.
    @discardableResult
    func transition(runID: String, to status: RunStatus, event: RunEventType, data: JSONValue, atMs: Int64)
        throws(RunStoreError) -> RunEvent
    /// The run, or nil.
    func run(id: String) throws(RunStoreError) -> RunRecord?
    /// Runs, newest first, optionally only those with `status`.
    func runs(status: RunStatus?, limit: Int) throws(RunStoreError) -> [RunRecord]
    /// The run's events after `sequence`, in order.
    func events(runID: String, after sequence: Int64) throws(RunStoreError) -> [RunEvent]
    /// At start-up: every run left `created`, `running` (or `paused`, when `includePaused`) by a dead
    /// process becomes `interrupted`, with a `run.interrupted` event. Returns their ids.
    func markInterrupted(atMs: Int64, includePaused: Bool) throws(RunStoreError) -> [String]
}
