import JSON

/// A request for credentials a paused message waits on (PRD "credential request"): which names, for
/// which run, and whether they came. Values are never stored here (they go to the owner's vault).
public struct CredentialAsk: Sendable, Equatable {
    /// Where it stands.
    public enum Status: String, Sendable, Equatable {
        case pending
        /// The values were given and the message resumed.
        case provided
        /// The message was cancelled or superseded first.
        case cancelled
    }

    /// A UUID.
    public var id: String
    public var conversationID: String
    public var messageID: String
    /// The paused run.
    public var runID: String
    /// The tool that needs them.
    public var toolID: String
    /// `[{"name", "description"}]`, in the order the tool declares them.
    public var missing: JSONValue
    public var status: Status
    public var createdAtMs: Int64
    public var resolvedAtMs: Int64?
    /// The user who gave them.
    public var resolvedBy: String?

    public init(
        id: String, conversationID: String, messageID: String, runID: String, toolID: String, missing: JSONValue,
        status: Status = .pending, createdAtMs: Int64, resolvedAtMs: Int64? = nil, resolvedBy: String? = nil
    ) {
        self.id = id
        self.conversationID = conversationID
        self.messageID = messageID
        self.runID = runID
        self.toolID = toolID
        self.missing = missing
        self.status = status
        self.createdAtMs = createdAtMs
        self.resolvedAtMs = resolvedAtMs
        self.resolvedBy = resolvedBy
    }

    /// The names asked for.
    public var names: [String] { missing.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [] }
}
