import JSON
import Policy

/// Everything is a run (DESIGN §6): runs and their ordered, append-only events, the tool executions,
/// credential requests, approvals and the circuit breaker's state. Behind a protocol so that another
/// backend (PostgreSQL for a fleet) can replace SQLite.
public protocol RunStore: ApprovalStore, Sendable {
    /// Wakes subscribers when the store may have changed (in this process at once, from other
    /// processes within its probe interval): what event subscriptions and cancellation wait on.
    var changes: RunChangeFeed { get }
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
    /// Runs matching `query`, newest first (creation time, then id, both descending).
    func runs(_ query: RunQuery) throws(RunStoreError) -> [RunRecord]
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
    /// How the most recent `limit` finished runs of `toolID` (at `version`, when given) ended:
    /// completed, or not (failed, cancelled, interrupted). Paused and running runs are not counted.
    func runSummary(toolID: String, version: String?, limit: Int) throws(RunStoreError) -> ToolRunSummary
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

    /// Every event of the run, in order.
    public func events(runID: String) throws(RunStoreError) -> [RunEvent] { try events(runID: runID, after: 0) }

    /// Runs, newest first (at most 100).
    public func runs() throws(RunStoreError) -> [RunRecord] { try runs(status: nil, limit: 100) }

    /// Runs, newest first, optionally only those with `status`.
    public func runs(status: RunStatus?, limit: Int) throws(RunStoreError) -> [RunRecord] {
        try runs(RunQuery(status: status, limit: limit))
    }

    /// At start-up: marks every unfinished run interrupted (for a store only this process uses).
    public func markInterrupted(atMs: Int64, includePaused: Bool = false) throws(RunStoreError) -> [String] {
        try markInterrupted(atMs: atMs, includePaused: includePaused, isOwnerAlive: { _ in false })
    }
}
