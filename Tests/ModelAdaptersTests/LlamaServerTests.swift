import Foundation
import JSON
import Testing
import ToolRuntime

@testable import ModelAdapters

/// Both adapters against a real server nobody here wrote: llama.cpp's `llama-server` (built from the
/// llama.cpp vendored in PyPI's `llama-cpp-python` source distribution) serving a small GGUF chat model,
/// started by `scripts/llama-server.sh start`, which prints the `OMEGA_TEST_LLAMA_URL` these tests read.
///
/// Each adapter asks for two turns back to back: one with the tool offered and a prompt that asks for
/// it, then one whose history holds a tool call and its result (so the server accepts the way turns are
/// mapped). Only the shape of a turn is checked (a real model's words vary): text events or tool calls
/// with object arguments, a stop reason, and usage.
@Suite(.serialized) struct LlamaServerTests {
    /// The server's root URL (`http://127.0.0.1:PORT`), when one was started.
    static let serverURL = ProcessInfo.processInfo.environment["OMEGA_TEST_LLAMA_URL"].flatMap {
        $0.isEmpty ? nil : $0
    }

    /// The request: one tool and a prompt that asks for it.
    static let request = ChatRequest(
        turns: [
            .system("You are a weather assistant. Use the get_weather tool to answer questions about the weather."),
            .user("What is the weather in Paris right now? Use the tool."),
        ], tools: [weatherTool], maxTokens: 48, credential: nil)

    /// The follow-up: the same conversation after a call of the tool and its result.
    static let followUp = ChatRequest(
        turns: request.turns + [
            .assistant(
                text: "", toolCalls: [ChatToolCall(id: "call_1", name: "get_weather", arguments: ["city": "Paris"])]),
            .toolResult(
                callID: "call_1", name: "get_weather", content: "{\"sky\": \"sunny\", \"celsius\": 21}", isError: false),
        ], tools: [weatherTool], maxTokens: 48, credential: nil)

    /// Asks `model` for both turns and checks them.
    func askTwice(_ model: any ChatModel, _ adapter: String) async throws {
        for (label, request) in [("first turn", Self.request), ("after a tool result", Self.followUp)] {
            let log = EventLog()
            let result = try await model.respond(to: request) { await log.append($0) }
            await expectWellFormed(result, log, "\(adapter), \(label)")
        }
    }

    /// Checks a turn's shape and that its streamed events match it.
    func expectWellFormed(_ result: ChatTurnResult, _ log: EventLog, _ adapter: String) async {
        let streamedText = await log.text
        let streamedCalls = await log.toolCalls
        #expect(streamedText == result.text, "\(adapter): the text events add up to the turn's text")
        #expect(streamedCalls == result.toolCalls, "\(adapter): each tool call was streamed once")
        #expect(!result.text.isEmpty || !result.toolCalls.isEmpty, "\(adapter): the turn said something")
        for call in result.toolCalls {
            #expect(call.name == "get_weather" && !call.id.isEmpty, "\(adapter): \(call)")
            guard case .object = call.arguments else {
                Issue.record("\(adapter): tool arguments are not an object: \(call.arguments.jsonText)")
                continue
            }
        }
        if result.stopReason == .toolCalls { #expect(!result.toolCalls.isEmpty, "\(adapter)") }
        #expect(result.usage.outputTokens > 0, "\(adapter): usage was reported: \(result.usage)")
        #expect(result.usage.inputTokens > 0, "\(adapter): usage was reported: \(result.usage)")
    }

    @Test(
        .enabled(
            if: serverURL != nil,
            "OMEGA_TEST_LLAMA_URL is not set: run `scripts/llama-server.sh start` first (scripts/test.sh does; it skips when llama-server cannot be built here)"
        ), .timeLimit(.minutes(5)))
    func theOpenAIAdapterGetsAWellFormedTurnFromLlamaServer() async throws {
        let url = try #require(Self.serverURL)
        let model = OpenAIChatModel(
            model: "local", baseURL: try ModelServerURL(parsing: url + "/v1"), provider: "llama.cpp",
            timeout: .seconds(240))
        try await askTwice(model, "openai")
    }

    @Test(
        .enabled(
            if: serverURL != nil,
            "OMEGA_TEST_LLAMA_URL is not set: run `scripts/llama-server.sh start` first (scripts/test.sh does; it skips when llama-server cannot be built here)"
        ), .timeLimit(.minutes(5)))
    func theAnthropicAdapterGetsAWellFormedTurnFromLlamaServer() async throws {
        let url = try #require(Self.serverURL)
        let model = AnthropicChatModel(
            model: "local", baseURL: try ModelServerURL(parsing: url), provider: "llama.cpp", timeout: .seconds(240))
        try await askTwice(model, "anthropic")
    }
}
