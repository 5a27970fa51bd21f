import JSON

/// A conversation (PRD data model): who owns it, its title, and where it stands.
public struct ConversationRecord: Sendable, Equatable {
    /// Where a conversation stands.
    public enum State: String, Sendable, Equatable {
        /// No message is being answered.
        case idle
        /// A message is being answered (at most one at a time).
        case running
        /// The last message waits for credentials or an approval.
        case paused
    }

    /// A UUID (lowercase, hyphenated).
    public var id: String
    /// The user whose credentials its tools run with.
    public var owner: String
    /// Set after the first answer (from the first message), nil before.
    public var title: String?
    public var state: State
    public var createdAtMs: Int64
    public var updatedAtMs: Int64
    /// Tokens the models reported over every message.
    public var inputTokens: Int64
    public var outputTokens: Int64
    /// How many messages it holds (user and assistant).
    public var messageCount: Int

    public init(
        id: String, owner: String, title: String? = nil, state: State = .idle, createdAtMs: Int64,
        updatedAtMs: Int64, inputTokens: Int64 = 0, outputTokens: Int64 = 0, messageCount: Int = 0
    ) {
        self.id = id
        self.owner = owner
        self.title = title
        self.state = state
        self.createdAtMs = createdAtMs
        self.updatedAtMs = updatedAtMs
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.messageCount = messageCount
    }
}
