import JSON

/// Plans proposed for a request without running anything (`POST …/plan`); a later message may run one.
public struct PlanRecord: Sendable, Equatable {
    /// A UUID.
    public var id: String
    public var conversationID: String
    /// The request planned.
    public var request: String
    /// Who asked.
    public var author: String
    /// The response (DESIGN §7 plans, best first, with the model's identity).
    public var response: JSONValue
    /// The message that ran one of them, once one did.
    public var messageID: String?
    /// Which plan it ran (1-based), once one did.
    public var chosen: Int?
    public var createdAtMs: Int64

    public init(
        id: String, conversationID: String, request: String, author: String, response: JSONValue,
        messageID: String? = nil, chosen: Int? = nil, createdAtMs: Int64
    ) {
        self.id = id
        self.conversationID = conversationID
        self.request = request
        self.author = author
        self.response = response
        self.messageID = messageID
        self.chosen = chosen
        self.createdAtMs = createdAtMs
    }
}
