import AgentHost
import JSON
import Logging
import Synchronization
import ToolRuntime

@testable import ModelAdapters

/// The events a turn streamed, in order.
actor EventLog {
    private(set) var events: [ChatEvent] = []

    func append(_ event: ChatEvent) { events.append(event) }

    /// The streamed text, joined.
    var text: String {
        events.map { event -> String in
            if case .text(let piece) = event { return piece } else { return "" }
        }.joined()
    }

    /// The streamed tool calls.
    var toolCalls: [ChatToolCall] {
        events.compactMap { event -> ChatToolCall? in
            if case .toolCall(let call) = event { return call } else { return nil }
        }
    }
}

/// A recognizable fake API key: no error, log line or description may ever contain it.
let fakeKey = "sk-omega-FAKE-KEY-do-not-leak-7f3a9c"

/// The weather tool the tests offer.
let weatherTool = ChatTool(
    name: "get_weather", description: "The current weather of a city.",
    inputSchema: [
        "type": "object", "properties": ["city": ["type": "string"]], "required": ["city"],
    ])

/// A request with a system turn, a user turn, and the weather tool.
func simpleRequest(credential: String? = fakeKey) -> ChatRequest {
    ChatRequest(
        turns: [.system("Be brief."), .user("What is the weather in Paris?")], tools: [weatherTool], maxTokens: 256,
        credential: credential)
}

/// The OpenAI adapter for a fake server (`{url}/v1`).
func openAIModel(_ server: FakeModelServer, timeout: Duration = .seconds(30)) throws -> OpenAIChatModel {
    OpenAIChatModel(model: "fake-gpt", baseURL: try ModelServerURL(parsing: server.url + "/v1"), timeout: timeout)
}

/// The Anthropic adapter for a fake server (its root: the adapter appends `/v1/messages`).
func anthropicModel(_ server: FakeModelServer, timeout: Duration = .seconds(30)) throws -> AnthropicChatModel {
    AnthropicChatModel(model: "fake-claude", baseURL: try ModelServerURL(parsing: server.url), timeout: timeout)
}

/// Runs a turn that must fail, and returns its error (nil when it did not fail).
func failure(
    of model: any ChatModel, _ request: ChatRequest, log: EventLog = EventLog()
) async -> OmegaError? {
    do {
        _ = try await model.respond(to: request) { await log.append($0) }
        return nil
    } catch {
        return error
    }
}

/// Whether `error` mentions `secret` anywhere: message, details or description.
func mentions(_ error: OmegaError, _ secret: String) -> Bool {
    error.message.contains(secret) || error.description.contains(secret) || error.json.jsonText.contains(secret)
}

/// A log handler that keeps every line (message and metadata, at every level) for inspection.
struct CapturingLogHandler: LogHandler {
    /// The lines logged through any handler made from this store.
    final class Store: Sendable {
        private let lines = Mutex<[String]>([])

        /// Every line so far.
        var all: [String] { lines.withLock { $0 } }

        func append(_ line: String) { lines.withLock { $0.append(line) } }
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
        function: String, line: UInt
    ) {
        store.append("\(level) \(message) \(self.metadata.merging(metadata ?? [:]) { $1 })")
    }
}
