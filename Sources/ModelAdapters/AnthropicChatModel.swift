import AgentHost
import JSON
import Logging
import ToolRuntime

/// A model behind the Anthropic Messages API (Anthropic, and compatible servers such as llama.cpp's
/// `llama-server`): `POST {baseURL}/v1/messages`, streamed.
///
/// The base URL does **not** include `/v1` (as Anthropic's SDKs and `ANTHROPIC_BASE_URL`): the default
/// is `https://api.anthropic.com`, a local server is `http://127.0.0.1:8080`.
///
/// The request: `model`, `max_tokens`, `stream: true`, the system turns joined (blank line between) as
/// the top-level `system`, `messages`, and `tools` as `{name, description, input_schema}` (omitted when
/// none is offered); headers `anthropic-version: 2023-06-01` and, only when the request has a
/// credential, `x-api-key`. Turns map to messages so: a user turn is a user message of one `text`
/// block; an assistant turn is an assistant message of a `text` block (when it has text) and one
/// `tool_use` block per call (a turn with neither is left out); tool results are `tool_result` blocks
/// (`tool_use_id`, `content`, `is_error`), consecutive ones merged into one user message (a user
/// turn right after them joins that message as a `text` block after them).
///
/// The answer: `text_delta`s are streamed as ``ChatEvent/text(_:)``; a `tool_use` block's
/// `input_json_delta`s are put together and the call is reported, as ``ChatEvent/toolCall(_:)``, at
/// its `content_block_stop`; the turn ends at `message_stop` (`stop_reason` `end_turn` →
/// ``ChatTurnResult/StopReason/end``, `tool_use` → ``ChatTurnResult/StopReason/toolCalls``,
/// `max_tokens` → ``ChatTurnResult/StopReason/length``; usage from `message_start`'s input tokens and
/// `message_delta`'s output tokens). An `error` event fails the turn: `rate_limit_error` →
/// `RATE_LIMITED`, `authentication_error` and `permission_error` → `UNAUTHORIZED`, `overloaded_error`
/// and the rest → `INTERNAL_ERROR`. `ping` and event types this adapter does not know are ignored.
public struct AnthropicChatModel: ChatModel {
    /// The default base URL (without `/v1`).
    public static let defaultBaseURL = "https://api.anthropic.com"
    /// The `anthropic-version` header sent.
    public static let apiVersion = "2023-06-01"

    /// Which model answers: `provider` as given, the model, and the model's name as its version (a
    /// dated snapshot name such as `claude-sonnet-4-5-20250929` pins it).
    public let identity: ModelIdentity
    /// The model's name at the server (`claude-sonnet-4-5`).
    public let model: String
    /// Where requests go: `{baseURL}/v1/messages`.
    public let baseURL: ModelServerURL
    /// How requests are sent.
    let transport: ModelTransport

    /// An adapter.
    ///
    /// - Parameters:
    ///   - model: The model's name at the server.
    ///   - baseURL: The server's base URL, without `/v1` (default ``defaultBaseURL``).
    ///   - provider: The identity's provider (`anthropic`, or the name of a compatible server).
    ///   - timeout: The longest a turn may take, request to end of stream (default 300 s).
    ///   - logger: Where requests are logged (server, status, retries; never the credential).
    public init(
        model: String, baseURL: ModelServerURL, provider: String = "anthropic", timeout: Duration = .seconds(300),
        logger: Logger = Logger(label: "omega.model.anthropic")
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
            path: "/v1/messages", headers: [("anthropic-version", Self.apiVersion)],
            credentialHeader: secret.map { ("x-api-key", $0) }, credential: secret, body: requestBody(for: request),
            reader: AnthropicStreamReader(secret: secret), onEvent: onEvent)
    }

    /// The JSON body sent for `request`.
    ///
    /// - Parameter request: A valid request.
    /// - Returns: The Messages request, streamed.
    func requestBody(for request: ChatRequest) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(model),
            "max_tokens": .integer(Int64(request.maxTokens)),
            "stream": true,
            "messages": .array(Self.messages(request.turns)),
        ]
        let system = request.turns.compactMap { turn -> String? in
            if case .system(let text) = turn { return text } else { return nil }
        }
        if !system.isEmpty { body["system"] = .string(system.joined(separator: "\n\n")) }
        if !request.tools.isEmpty {
            body["tools"] = .array(
                request.tools.map { tool in
                    [
                        "name": .string(tool.name), "description": .string(tool.description),
                        "input_schema": tool.inputSchema,
                    ]
                })
        }
        return .object(body)
    }

    /// The turns (system turns left out) as Messages API messages.
    static func messages(_ turns: [ChatTurn]) -> [JSONValue] {
        var messages: [(role: String, blocks: [JSONValue])] = []
        /// Whether the last message is a user message of tool results only.
        func lastIsToolResults() -> Bool {
            guard let last = messages.last, last.role == "user" else { return false }
            return last.blocks.allSatisfy { $0["type"] == "tool_result" }
        }
        for turn in turns {
            switch turn {
            case .system:
                continue
            case .user(let text):
                let block: JSONValue = ["type": "text", "text": .string(text)]
                if lastIsToolResults() {
                    messages[messages.count - 1].blocks.append(block)
                } else {
                    messages.append(("user", [block]))
                }
            case .assistant(let text, let toolCalls):
                var blocks: [JSONValue] = text.isEmpty ? [] : [["type": "text", "text": .string(text)]]
                for call in toolCalls {
                    blocks.append(
                        [
                            "type": "tool_use", "id": .string(call.id), "name": .string(call.name),
                            "input": call.arguments,
                        ])
                }
                guard !blocks.isEmpty else { continue }
                if messages.last?.role == "assistant" {
                    messages[messages.count - 1].blocks += blocks
                } else {
                    messages.append(("assistant", blocks))
                }
            case .toolResult(let callID, _, let content, let isError):
                let block: JSONValue = [
                    "type": "tool_result", "tool_use_id": .string(callID), "content": .string(content),
                    "is_error": .bool(isError),
                ]
                if lastIsToolResults() {
                    messages[messages.count - 1].blocks.append(block)
                } else {
                    messages.append(("user", [block]))
                }
            }
        }
        return messages.map { ["role": .string($0.role), "content": .array($0.blocks)] }
    }
}
