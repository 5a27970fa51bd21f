import JSON

/// One tool call an assistant message made (PRD "tool run"). A call that executes a tool is a run in
/// the run store (``runID``), whose status, output and events are read from there; a built-in call
/// (`registry_search`) runs nothing and keeps its result here.
public struct ToolCallRecord: Sendable, Equatable {
    /// A UUID.
    public var id: String
    public var conversationID: String
    public var messageID: String
    /// Order within the message, from 1.
    public var index: Int
    /// The model's id for the call.
    public var callID: String
    /// The tool as the model named it (`registry_execute`, `registry_search`).
    public var name: String
    /// The registry tool it ran (`text.stats`), for calls that run one.
    public var toolID: String?
    /// The arguments the model gave.
    public var arguments: JSONValue
    /// The run, for calls that run a tool.
    public var runID: String?
    /// `running`, `paused`, `completed`, `failed`, `cancelled`, `interrupted`.
    public var status: String
    /// What the model was given back (the output, or the error object).
    public var result: JSONValue?
    public var createdAtMs: Int64
    public var updatedAtMs: Int64

    public init(
        id: String, conversationID: String, messageID: String, index: Int, callID: String, name: String,
        toolID: String?, arguments: JSONValue, runID: String? = nil, status: String, result: JSONValue? = nil,
        createdAtMs: Int64, updatedAtMs: Int64
    ) {
        self.id = id
        self.conversationID = conversationID
        self.messageID = messageID
        self.index = index
        self.callID = callID
        self.name = name
        self.toolID = toolID
        self.arguments = arguments
        self.runID = runID
        self.status = status
        self.result = result
        self.createdAtMs = createdAtMs
        self.updatedAtMs = updatedAtMs
    }
}
