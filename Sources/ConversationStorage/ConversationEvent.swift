import JSON

/// One event of a conversation's stream, as stored: the SSE events of every message, in order, so a
/// client that lost its connection resumes after the last id it saw (`Last-Event-ID`) without a gap.
public struct ConversationEvent: Sendable, Equatable {
    public var conversationID: String
    /// From 1, without gaps, per conversation; the SSE `id`.
    public var sequence: Int64
    /// The message it belongs to.
    public var messageID: String
    /// The SSE `event` (`message.created`, `token`, `plan`, `tool.started`, …).
    public var type: String
    /// The SSE `data` (a JSON object; never a secret).
    public var data: JSONValue
    public var atMs: Int64

    public init(conversationID: String, sequence: Int64, messageID: String, type: String, data: JSONValue, atMs: Int64)
    {
        self.conversationID = conversationID
        self.sequence = sequence
        self.messageID = messageID
        self.type = type
        self.data = data
        self.atMs = atMs
    }
}
