import JSON

/// A tool offered to a model: its name (1–64 of `a-zA-Z0-9_-`), what it does, and the JSON Schema of its input.
public struct ChatTool: Sendable, Hashable {
    /// The name the model calls it by (1–64 of `a-zA-Z0-9_-`, unique among the tools offered).
    public var name: String
    /// What it does, for the model to choose it.
    public var description: String
    /// The JSON Schema of its input: an object schema (`"type": "object"`).
    public var inputSchema: JSONValue

    /// A tool.
    ///
    /// - Parameters:
    ///   - name: The name the model calls it by.
    ///   - description: What it does.
    ///   - inputSchema: The JSON Schema of its input.
    public init(name: String, description: String, inputSchema: JSONValue) {
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
    }
}

/// One tool call a model made: the provider's call id, the tool's name and its arguments (a JSON object).
public struct ChatToolCall: Sendable, Hashable {
    /// The provider's id of the call (`call_…`, `toolu_…`); a tool result answers it by this id.
    public var id: String
    /// The tool's name, as offered.
    public var name: String
    /// The arguments: always a JSON object (`{}` for a call without arguments).
    public var arguments: JSONValue

    /// A tool call.
    ///
    /// - Parameters:
    ///   - id: The provider's id of the call.
    ///   - name: The tool's name.
    ///   - arguments: The arguments (a JSON object).
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

    /// A request.
    ///
    /// - Parameters:
    ///   - turns: The conversation so far, oldest first.
    ///   - tools: The tools the model may call (none: it can only answer in text).
    ///   - maxTokens: Most tokens it may generate for this turn (default 1024).
    ///   - credential: The API key, nil when the model needs none.
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
    /// Tokens of the request (the conversation and tools), cached ones included.
    public var inputTokens: Int
    /// Tokens the model generated for the turn.
    public var outputTokens: Int

    /// A usage.
    ///
    /// - Parameters:
    ///   - inputTokens: Tokens of the request.
    ///   - outputTokens: Tokens generated.
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

    /// All the text of the turn (what its ``ChatEvent/text(_:)`` events added up to).
    public var text: String
    /// Its tool calls, in the order they were reported (possibly none).
    public var toolCalls: [ChatToolCall]
    /// Why it stopped.
    public var stopReason: StopReason
    /// The tokens it used.
    public var usage: ChatUsage

    /// A turn.
    ///
    /// - Parameters:
    ///   - text: All its text.
    ///   - toolCalls: Its tool calls.
    ///   - stopReason: Why it stopped.
    ///   - usage: The tokens it used.
    public init(text: String, toolCalls: [ChatToolCall], stopReason: StopReason, usage: ChatUsage = ChatUsage()) {
        self.text = text
        self.toolCalls = toolCalls
        self.stopReason = stopReason
        self.usage = usage
    }
}
