import JSON

/// A message of a conversation: what a user said, or the assistant's answer with the tool calls it made.
public struct MessageRecord: Sendable, Equatable {
    /// Who speaks.
    public enum Role: String, Sendable, Equatable {
        case user
        case assistant
    }

    /// Where an assistant message stands (a user message is always `complete`).
    public enum Status: String, Sendable, Equatable {
        /// Being answered.
        case running
        /// Waiting for credentials or an approval.
        case paused
        case complete
        case failed
        case cancelled
        /// Its process ended (a crash, `kill -9`) before it finished.
        case interrupted

        /// Whether nothing will change it any more.
        public var isFinal: Bool { self != .running && self != .paused }
    }

    /// A UUID.
    public var id: String
    public var conversationID: String
    /// Order within the conversation, from 1.
    public var sequence: Int64
    public var role: Role
    /// The user who wrote it (user messages), or the conversation's owner (assistant messages).
    public var author: String
    /// The API key it came through (user messages; nil for the assistant).
    public var keyID: String?
    /// The text (an assistant's text grows as it streams and is final once `status` is).
    public var content: String
    public var status: Status
    /// The user message an assistant message answers.
    public var replyTo: String?
    /// The model that answered (`{"provider", "model", "version"}`), assistant messages only.
    public var model: JSONValue?
    /// The error that ended it (a DESIGN §5 object), when it failed.
    public var error: JSONValue?
    /// The turns shown to the model so far (the agent loop's working state, so a paused or resumed
    /// message goes on where it stopped, in any process). Internal: never rendered as is.
    public var transcript: JSONValue?
    /// How many tool calls it made.
    public var toolCallCount: Int
    public var inputTokens: Int64
    public var outputTokens: Int64
    public var createdAtMs: Int64
    public var updatedAtMs: Int64
    /// The process answering it (`ProcessIdentity`), while running.
    public var ownerProcess: String?

    public init(
        id: String, conversationID: String, sequence: Int64 = 0, role: Role, author: String, keyID: String? = nil,
        content: String, status: Status, replyTo: String? = nil, model: JSONValue? = nil, error: JSONValue? = nil,
        transcript: JSONValue? = nil, toolCallCount: Int = 0, inputTokens: Int64 = 0, outputTokens: Int64 = 0,
        createdAtMs: Int64, updatedAtMs: Int64, ownerProcess: String? = nil
    ) {
        self.id = id
        self.conversationID = conversationID
        self.sequence = sequence
        self.role = role
        self.author = author
        self.keyID = keyID
        self.content = content
        self.status = status
        self.replyTo = replyTo
        self.model = model
        self.error = error
        self.transcript = transcript
        self.toolCallCount = toolCallCount
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.createdAtMs = createdAtMs
        self.updatedAtMs = updatedAtMs
        self.ownerProcess = ownerProcess
    }
}
