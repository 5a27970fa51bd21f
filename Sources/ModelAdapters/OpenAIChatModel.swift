import AgentHost
import JSON
import Logging
import ToolRuntime

/// A model behind the OpenAI Chat Completions API (OpenAI, and compatible servers such as llama.cpp's
/// `llama-server`, vLLM or Ollama): `POST {baseURL}/chat/completions`, streamed.
///
/// The request: `model`, `messages` (system, user, assistant with `tool_calls`, tool with
/// `tool_call_id`), `tools` as `{"type": "function", "function": {name, description, parameters}}`
/// (omitted when none is offered), `max_tokens`, `stream: true` and
/// `stream_options: {"include_usage": true}`; the credential as `Authorization: Bearer …`, only when
/// the request has one.
///
/// The answer: `delta.content` is streamed as ``ChatEvent/text(_:)`` as it arrives; the
/// `delta.tool_calls[index]` fragments (id, name, argument text) are put together and each call is
/// reported once, as ``ChatEvent/toolCall(_:)`` in index order, when the choice finishes; the turn ends
/// at `[DONE]` after a `finish_reason` (`stop` → ``ChatTurnResult/StopReason/end``, `tool_calls` →
/// ``ChatTurnResult/StopReason/toolCalls``, `length` → ``ChatTurnResult/StopReason/length``; the
/// usage chunk's `prompt_tokens` and `completion_tokens` are the usage). Failures are as ``ChatModel``
/// says; tool arguments that are not a JSON object fail the turn with `INTERNAL_ERROR` naming the call.
public struct OpenAIChatModel: ChatModel {
    /// The default base URL (it includes `/v1`, as OpenAI's SDKs do).
    public static let defaultBaseURL = "https://api.openai.com/v1"

    /// Which model answers: `provider` as given, the model, and the model's name as its version (a
    /// dated snapshot name such as `gpt-4.1-2025-04-14` pins it).
    public let identity: ModelIdentity
    /// The model's name at the server (`gpt-4.1`, or the name a local server knows it by).
    public let model: String
    /// Where requests go: `{baseURL}/chat/completions`.
    public let baseURL: ModelServerURL
    /// How requests are sent.
    let transport: ModelTransport

    /// An adapter.
    ///
    /// - Parameters:
    ///   - model: The model's name at the server.
    ///   - baseURL: The server's base URL, including `/v1` (default ``defaultBaseURL``).
    ///   - provider: The identity's provider (`openai`, or the name of a compatible server).
    ///   - timeout: The longest a turn may take, request to end of stream (default 300 s).
    ///   - logger: Where requests are logged (server, status, retries; never the credential).
    public init(
        model: String, baseURL: ModelServerURL, provider: String = "openai", timeout: Duration = .seconds(300),
        logger: Logger = Logger(label: "omega.model.openai")
    ) {
        self.init(
            model: model, baseURL: baseURL, provider: provider,
            transport: ModelTransport(server: baseURL, timeout: timeout, logger: logger))
    }

    /// An adapter over a given transport (tests shorten its retry delays).
    init(model: String, baseURL: ModelServerURL, provider: String, transport: ModelTransport) {
        self.model = model
        self.baseURL = baseURL
        self.transport = transport
        self.identity = ModelIdentity(provider: provider, model: model, version: model)
    }

    /// Asks for the next assistant turn, streamed (see the type's documentation).
    ///
    /// - Parameters:
    ///   - request: The conversation, the tools offered and the credential.
    ///   - onEvent: Called for each streamed piece, in order, before this returns.
    /// - Returns: The whole turn.
    /// - Throws: ``OmegaError``: `INVALID_INPUT` for a request that cannot be sent (``ChatRequest/validate()``),
    ///   else as ``ChatModel`` says.
    public func respond(to request: ChatRequest, onEvent: @escaping @Sendable (ChatEvent) async -> Void)
        async throws(OmegaError) -> ChatTurnResult
    {
        try request.validate()
        let secret = request.credential.flatMap { $0.isEmpty ? nil : $0 }
        return try await transport.turn(
            path: "/chat/completions", headers: [],
            credentialHeader: secret.map { ("Authorization", "Bearer \($0)") }, credential: secret,
            body: requestBody(for: request), reader: OpenAIStreamReader(secret: secret), onEvent: onEvent)
    }

    /// The JSON body sent for `request`.
    ///
    /// - Parameter request: A valid request.
    /// - Returns: The Chat Completions request, streamed with usage.
    func requestBody(for request: ChatRequest) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(model),
            "messages": .array(request.turns.map(Self.message)),
            "max_tokens": .integer(Int64(request.maxTokens)),
            "stream": true,
            "stream_options": ["include_usage": true],
        ]
        if !request.tools.isEmpty {
            body["tools"] = .array(
                request.tools.map { tool in
                    [
                        "type": "function",
                        "function": [
                            "name": .string(tool.name), "description": .string(tool.description),
                            "parameters": tool.inputSchema,
                        ],
                    ]
                })
        }
        return .object(body)
    }

    /// One turn as a Chat Completions message.
    static func message(_ turn: ChatTurn) -> JSONValue {
        switch turn {
        case .system(let text):
            return ["role": "system", "content": .string(text)]
        case .user(let text):
            return ["role": "user", "content": .string(text)]
        case .assistant(let text, let toolCalls):
            var message: [String: JSONValue] = [
                "role": "assistant", "content": text.isEmpty && !toolCalls.isEmpty ? .null : .string(text),
            ]
            if !toolCalls.isEmpty {
                message["tool_calls"] = .array(
                    toolCalls.map { call in
                        [
                            "id": .string(call.id), "type": "function",
                            "function": ["name": .string(call.name), "arguments": .string(call.arguments.jsonText)],
                        ]
                    })
            }
            return .object(message)
        case .toolResult(let callID, _, let content, _):
            return ["role": "tool", "tool_call_id": .string(callID), "content": .string(content)]
        }
    }
}
