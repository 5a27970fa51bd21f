import JSON

/// A tool offered to a model: its name (1–64 of `a-zA-Z0-9_-`), what it does, and the JSON Schema of its input.
public struct ChatTool: Sendable, Hashable {
    public var name: String
    public var description: String
    public var inputSchema: JSONValue

    public init(name: String, description: String, inputSchema: JSONValue) {
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
    }
}

/// One tool call a model made: the provider's call id, the tool's name and its arguments (a JSON object).
public struct ChatToolCall: Sendable, Hashable {
    public var id: String
    public var name: String
    public var arguments: JSONValue

    public init(id: String, name: String, arguments: JSONValue) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// One turn of the conversation as the model is shown it.
public enum ChatTurn: Sendable, Hashable {
    /// Instructions for the model.
    case system(String)
    /// What the user said.
    case user(String)
    /// What the model said before, and the tools it called then.
    case assistant(text: String, toolCalls: [ChatToolCall])
    /// The result of one earlier tool call (`content` is the JSON text of the result or the error).
    case toolResult(callID: String, name: String, content: String, isError: Bool)
}

/// What a model is asked.
public struct ChatRequest: Sendable {
    /// The conversation so far, oldest first (system instructions first).
    public var turns: [ChatTurn]
    /// The tools it may call.
    public var tools: [ChatTool]
    /// Most tokens it may generate for this turn.
    public var maxTokens: Int
    /// The API key to call with (from the conversation owner's vault); nil when the model needs none.
    /// Never logged, never part of an error.
    public var credential: String?

    public init(turns: [ChatTurn], tools: [ChatTool], maxTokens: Int = 1024, credential: String? = nil) {
        self.turns = turns
        self.tools = tools
        self.maxTokens = maxTokens
        self.credential = credential
    }
}

/// A streamed piece of a turn.
public enum ChatEvent: Sendable, Hashable {
    /// Text as it arrives (a token or a few).
    case text(String)
    /// A tool call, once its arguments are complete.
    case toolCall(ChatToolCall)
}

/// Tokens a turn used, as the model's server reported them (0 when it did not).
public struct ChatUsage: Sendable, Hashable {
    public var inputTokens: Int
    public var outputTokens: Int

    public init(inputTokens: Int = 0, outputTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }
}

/// The whole turn.
public struct ChatTurnResult: Sendable, Hashable {
    /// Why the model stopped.
    public enum StopReason: String, Sendable, Hashable {
        /// It finished its answer.
        case end
        /// It wants the results of its tool calls.
        case toolCalls = "tool_calls"
        /// It reached `maxTokens`.
        case length
    }

    public var text: String
    public var toolCalls: [ChatToolCall]
    public var stopReason: StopReason
    public var usage: ChatUsage

    public init(text: String, toolCalls: [ChatToolCall], stopReason: StopReason, usage: ChatUsage = ChatUsage()) {
        self.text = text
        self.toolCalls = toolCalls
        self.stopReason = stopReason
        self.usage = usage
    }
}
