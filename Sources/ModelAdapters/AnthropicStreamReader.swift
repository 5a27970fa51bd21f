import JSON
import ToolRuntime

/// Reads a Messages API stream (`message_start`, content blocks, `message_delta`, `message_stop`) into a
/// turn.
///
/// Guarantees: text is reported as it arrives; each `tool_use` block is reported once, complete, at its
/// `content_block_stop`; the turn is finished only by `message_stop` after a `stop_reason`; an event
/// that is not JSON, or whose fields have the wrong shape, fails with `INTERNAL_ERROR` naming the field;
/// an `error` event fails as ``AnthropicChatModel`` says; `ping` and unknown event types are ignored.
struct AnthropicStreamReader: ModelStreamReader {
    /// A content block being streamed.
    enum Block: Sendable {
        /// Text (streamed as it comes).
        case text
        /// A tool call: its id, name, the input given at its start and the `partial_json` so far.
        case toolUse(id: String, name: String, input: JSONValue?, json: String)
        /// A block this adapter does not use (`thinking`, …).
        case ignored
    }

    /// The credential, redacted from quotes.
    let secret: String?
    /// Whether `message_start` came.
    private var started = false
    /// The open and closed blocks, by index.
    private var blocks: [Int: Block] = [:]
    /// The text so far.
    private var text = ""
    /// The finished tool calls, in the order they closed.
    private var calls: [ChatToolCall] = []
    /// `message_delta`'s `stop_reason`, once it came.
    private var stopReason: String?
    /// The usage so far.
    private var usage = ChatUsage()
    /// Whether `message_stop` came.
    private var stopped = false

    /// A reader.
    ///
    /// - Parameter secret: The credential, redacted from quoted events.
    init(secret: String?) {
        self.secret = secret
    }

    mutating func read(_ event: ServerSentEvent, onEvent: @Sendable (ChatEvent) async -> Void)
        async throws(OmegaError) -> Bool
    {
        let chunk = try StreamChunk(parsing: event.data, secret: secret)
        let type = try chunk.string(chunk.value["type"], "type") ?? event.name
        switch type {
        case "ping":
            return false
        case "error":
            throw Self.streamedError(chunk.value["error"] ?? .null, chunk: chunk)
        case "message_start":
            let message = try chunk.object(chunk.value["message"], "message") ?? [:]
            if let usage = try chunk.object(message["usage"], "message.usage") {
                let input =
                    try (chunk.integer(usage["input_tokens"], "message.usage.input_tokens") ?? 0)
                    + (chunk.integer(usage["cache_creation_input_tokens"], "message.usage.cache_creation_input_tokens")
                        ?? 0)
                    + (chunk.integer(usage["cache_read_input_tokens"], "message.usage.cache_read_input_tokens") ?? 0)
                self.usage = ChatUsage(
                    inputTokens: input,
                    outputTokens: try chunk.integer(usage["output_tokens"], "message.usage.output_tokens") ?? 0)
            }
            started = true
            return false
        default:
            guard started else {
                throw chunk.malformed("type", expected: "message_start before \"\(type.prefix(40))\"")
            }
        }
        switch type {
        case "content_block_start":
            let index = try blockIndex(chunk)
            guard blocks[index] == nil else { throw chunk.malformed("index", expected: "a block not yet started") }
            guard let block = try chunk.object(chunk.value["content_block"], "content_block") else {
                throw chunk.malformed("content_block", expected: "an object")
            }
            switch try chunk.string(block["type"], "content_block.type") ?? "" {
            case "text":
                blocks[index] = .text
                if let start = try chunk.string(block["text"], "content_block.text"), !start.isEmpty {
                    text += start
                    await onEvent(.text(start))
                }
            case "tool_use":
                guard let id = try chunk.string(block["id"], "content_block.id"), !id.isEmpty else {
                    throw chunk.malformed("content_block.id", expected: "the tool call's id")
                }
                guard let name = try chunk.string(block["name"], "content_block.name"), !name.isEmpty else {
                    throw chunk.malformed("content_block.name", expected: "the tool's name")
                }
                blocks[index] = .toolUse(id: id, name: name, input: block["input"], json: "")
            default:
                blocks[index] = .ignored
            }
        case "content_block_delta":
            let index = try blockIndex(chunk)
            guard let block = blocks[index] else {
                throw chunk.malformed("index", expected: "a started block")
            }
            guard let delta = try chunk.object(chunk.value["delta"], "delta") else {
                throw chunk.malformed("delta", expected: "an object")
            }
            let deltaType = try chunk.string(delta["type"], "delta.type") ?? ""
            switch (block, deltaType) {
            case (.text, "text_delta"):
                guard let piece = try chunk.string(delta["text"], "delta.text") else {
                    throw chunk.malformed("delta.text", expected: "a string")
                }
                if !piece.isEmpty {
                    text += piece
                    await onEvent(.text(piece))
                }
            case (.toolUse(let id, let name, let input, let json), "input_json_delta"):
                guard let piece = try chunk.string(delta["partial_json"], "delta.partial_json") else {
                    throw chunk.malformed("delta.partial_json", expected: "a string")
                }
                blocks[index] = .toolUse(id: id, name: name, input: input, json: json + piece)
            case (.text, "input_json_delta"), (.toolUse, "text_delta"):
                throw chunk.malformed("delta.type", expected: "a delta of the block's own type")
            default:
                break  // thinking, signatures, citations: not used here.
            }
        case "content_block_stop":
            let index = try blockIndex(chunk)
            guard let block = blocks[index] else { throw chunk.malformed("index", expected: "a started block") }
            if case .toolUse(let id, let name, let input, let json) = block {
                let arguments: JSONValue
                if json.isEmpty, let input, case .object(let members) = input, !members.isEmpty {
                    arguments = input
                } else {
                    arguments = try StreamChunk.toolArguments(json, id: id, name: name, secret: secret)
                }
                let call = ChatToolCall(id: id, name: name, arguments: arguments)
                calls.append(call)
                blocks[index] = .ignored
                await onEvent(.toolCall(call))
            }
        case "message_delta":
            if let delta = try chunk.object(chunk.value["delta"], "delta"),
                let reason = try chunk.string(delta["stop_reason"], "delta.stop_reason")
            {
                stopReason = reason
            }
            if let usage = try chunk.object(chunk.value["usage"], "usage") {
                if let output = try chunk.integer(usage["output_tokens"], "usage.output_tokens") {
                    self.usage.outputTokens = output
                }
                if let input = try chunk.integer(usage["input_tokens"], "usage.input_tokens"),
                    input > self.usage.inputTokens
                {
                    self.usage.inputTokens = input
                }
            }
        case "message_stop":
            guard stopReason != nil else {
                throw OmegaError(.internalError, "the model's stream stopped (message_stop) without a stop_reason")
            }
            stopped = true
            return true
        default:
            break  // Event types added to the API later are ignored, as Anthropic asks.
        }
        return false
    }

    /// The event's `index`.
    private func blockIndex(_ chunk: StreamChunk) throws(OmegaError) -> Int {
        guard let index = try chunk.integer(chunk.value["index"], "index"), index < 4096 else {
            throw chunk.malformed("index", expected: "a block index")
        }
        return index
    }

    func result() throws(OmegaError) -> ChatTurnResult {
        guard stopped, let stopReason else {
            throw OmegaError(.internalError, "the model's stream ended before the turn finished")
        }
        let stop: ChatTurnResult.StopReason
        switch stopReason {
        case "max_tokens": stop = .length
        case _ where !calls.isEmpty: stop = .toolCalls
        case "tool_use":
            throw OmegaError(.internalError, "the model's stream stopped for tool_use but sent no tool call")
        default: stop = .end  // end_turn, stop_sequence, pause_turn, refusal, and reasons not known here
        }
        return ChatTurnResult(text: text, toolCalls: calls, stopReason: stop, usage: usage)
    }

    /// The error for an `error` event, by its `error.type`.
    private static func streamedError(_ error: JSONValue, chunk: StreamChunk) -> OmegaError {
        let kind = error["type"]?.stringValue ?? "error"
        let quoted = ModelTransport.excerpt(error["message"]?.stringValue ?? "", redacting: chunk.secret)
        let said = "the model's server reported \(ModelTransport.excerpt(kind, redacting: chunk.secret)) mid-stream"
        switch kind {
        case "rate_limit_error": return OmegaError(.rateLimited, "\(said): \(quoted)")
        case "authentication_error", "permission_error": return OmegaError(.unauthorized, "\(said): \(quoted)")
        case "overloaded_error": return OmegaError(.internalError, "\(said) (the server is overloaded): \(quoted)")
        default: return OmegaError(.internalError, "\(said): \(quoted)")
        }
    }
}
