import JSON

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
