import JSON
import ToolRuntime

/// Reads a Chat Completions stream (`data: {chunk}` events, then `data: [DONE]`) into a turn.
///
/// Guarantees: text is reported as it arrives; each tool call is reported once, complete, when the
/// choice's `finish_reason` arrives (in `index` order); the turn is finished only by `[DONE]` after a
/// `finish_reason`; a chunk that is not JSON, or whose fields have the wrong shape, fails with
/// `INTERNAL_ERROR` naming the field; an `error` chunk fails with `RATE_LIMITED` for a rate limit, else
/// `INTERNAL_ERROR` quoting its message.
struct OpenAIStreamReader: ModelStreamReader {
    /// A tool call being put together from its fragments.
    struct PartialCall: Sendable {
        var id: String?
        var name: String = ""
        var arguments: String = ""
    }

    /// The credential, redacted from quotes.
    let secret: String?
    /// The text so far.
    private var text = ""
    /// The tool calls so far, by their `index`.
    private var partialCalls: [Int: PartialCall] = [:]
    /// The `index` of the last tool call fragment (for servers that omit `index` on continuations).
    private var lastIndex: Int?
    /// The finished tool calls, in index order (set when the choice finished).
    private var calls: [ChatToolCall] = []
    /// The choice's `finish_reason`, once it came.
    private var finishReason: String?
    /// The usage, once it came.
    private var usage = ChatUsage()
    /// Whether `[DONE]` came.
    private var done = false

    /// A reader.
    ///
    /// - Parameter secret: The credential, redacted from quoted chunks.
    init(secret: String?) {
        self.secret = secret
    }

    mutating func read(_ event: ServerSentEvent, onEvent: @Sendable (ChatEvent) async -> Void)
        async throws(OmegaError) -> Bool
    {
        if event.data.count < 16 && event.data.filter({ !$0.isWhitespace }) == "[DONE]" {
            guard finishReason != nil else {
                throw OmegaError(.internalError, "the model's stream ended ([DONE]) without a finish_reason")
            }
            done = true
            return true
        }
        let chunk = try StreamChunk(parsing: event.data, secret: secret)
        if let error = chunk.value["error"], error != .null {
            throw Self.streamedError(error, chunk: chunk)
        }
        if let usage = try chunk.object(chunk.value["usage"], "usage") {
            self.usage = ChatUsage(
                inputTokens: try chunk.integer(usage["prompt_tokens"], "usage.prompt_tokens") ?? 0,
                outputTokens: try chunk.integer(usage["completion_tokens"], "usage.completion_tokens") ?? 0)
        }
        let choices = try chunk.array(chunk.value["choices"], "choices") ?? []
        for (position, choice) in choices.enumerated() {
            let path = "choices[\(position)]"
            guard case .object(let members) = choice else { throw chunk.malformed(path, expected: "an object") }
            // One choice is asked for (no `n`); a server sending others is not listened to.
            guard try chunk.integer(members["index"], "\(path).index") ?? 0 == 0 else { continue }
            if let delta = try chunk.object(members["delta"], "\(path).delta") {
                if let content = try chunk.string(delta["content"], "\(path).delta.content"), !content.isEmpty {
                    text += content
                    await onEvent(.text(content))
                }
                for (number, fragment) in (try chunk.array(delta["tool_calls"], "\(path).delta.tool_calls") ?? [])
                    .enumerated()
                {
                    try addFragment(fragment, path: "\(path).delta.tool_calls[\(number)]", chunk: chunk)
                }
            }
            if let reason = try chunk.string(members["finish_reason"], "\(path).finish_reason"), finishReason == nil {
                finishReason = reason
                calls = try finishedCalls()
                for call in calls { await onEvent(.toolCall(call)) }
            }
        }
        return false
    }

    /// Adds one `delta.tool_calls` fragment to its call.
    private mutating func addFragment(_ fragment: JSONValue, path: String, chunk: StreamChunk) throws(OmegaError) {
        guard case .object(let members) = fragment else { throw chunk.malformed(path, expected: "an object") }
        guard finishReason == nil else { throw chunk.malformed(path, expected: "no tool call after finish_reason") }
        let id = try chunk.string(members["id"], "\(path).id")
        let function = try chunk.object(members["function"], "\(path).function") ?? [:]
        let name = try chunk.string(function["name"], "\(path).function.name")
        let arguments = try chunk.string(function["arguments"], "\(path).function.arguments")
        let index: Int
        if let given = try chunk.integer(members["index"], "\(path).index") {
            index = given
        } else if let last = lastIndex, id == nil || id == partialCalls[last]?.id {
            index = last
        } else {
            index = (partialCalls.keys.max() ?? -1) + 1
        }
        guard index < 1024 else { throw chunk.malformed("\(path).index", expected: "an index below 1024") }
        var call = partialCalls[index] ?? PartialCall()
        if let id, !id.isEmpty { call.id = id }
        if let name { call.name += name }
        if let arguments { call.arguments += arguments }
        partialCalls[index] = call
        lastIndex = index
    }

    /// The tool calls put together, in index order, with their arguments parsed.
    private func finishedCalls() throws(OmegaError) -> [ChatToolCall] {
        var result: [ChatToolCall] = []
        for index in partialCalls.keys.sorted() {
            let partial = partialCalls[index]!
            let id = partial.id ?? "call_\(index)"
            guard !partial.name.isEmpty else {
                throw OmegaError(
                    .internalError, "the model's tool call \(ModelTransport.excerpt(id, redacting: secret)) has no name"
                )
            }
            let arguments = try StreamChunk.toolArguments(
                partial.arguments, id: id, name: partial.name, secret: secret)
            result.append(ChatToolCall(id: id, name: partial.name, arguments: arguments))
        }
        return result
    }

    func result() throws(OmegaError) -> ChatTurnResult {
        guard done, let finishReason else {
            throw OmegaError(.internalError, "the model's stream ended before the turn finished")
        }
        let stop: ChatTurnResult.StopReason
        switch finishReason {
        case "length": stop = .length
        case _ where !calls.isEmpty: stop = .toolCalls
        case "tool_calls", "function_call":
            throw OmegaError(.internalError, "the model's stream finished for tool_calls but sent no tool call")
        default: stop = .end  // stop, content_filter, and reasons this adapter does not know
        }
        return ChatTurnResult(text: text, toolCalls: calls, stopReason: stop, usage: usage)
    }

    /// The error for an `error` chunk: `RATE_LIMITED` when its type or code says rate limit, else
    /// `INTERNAL_ERROR` quoting its message.
    private static func streamedError(_ error: JSONValue, chunk: StreamChunk) -> OmegaError {
        let message = error["message"]?.stringValue ?? error.stringValue ?? error.jsonText
        let kind = [error["type"]?.stringValue, error["code"]?.stringValue].compactMap { $0 }.joined(separator: " ")
        let quoted = ModelTransport.excerpt(message, redacting: chunk.secret)
        if kind.contains("rate_limit") {
            return OmegaError(.rateLimited, "the model's server reported a rate limit mid-stream: \(quoted)")
        }
        return OmegaError(.internalError, "the model's server reported an error mid-stream: \(quoted)")
    }
}
