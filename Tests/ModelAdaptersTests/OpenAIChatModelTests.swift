import JSON
import Testing
import ToolRuntime

@testable import ModelAdapters

/// The OpenAI Chat Completions adapter against a scripted server: what it sends, and how it reads
/// streamed text, tool calls split across chunks, usage, and broken streams.
@Suite struct OpenAIChatModelTests {
    @Test func streamsTextAsItArrivesAndReportsStopAndUsage() async throws {
        let replies: [FakeModelServer.Reply] = [
            .stream([
                SSE.openAI(["role": "assistant", "content": ""]),
                SSE.openAI(["content": "Sunny"]),
                SSE.openAI(["content": " in Paris."]),
                SSE.openAI([:], finish: "stop"),
                SSE.openAIUsage(prompt: 21, completion: 4),
                SSE.done,
            ])
        ]
        try await FakeModelServer.serving(replies) { server in
            let log = EventLog()
            let result = try await openAIModel(server).respond(to: simpleRequest()) { await log.append($0) }
            #expect(await log.events == [.text("Sunny"), .text(" in Paris.")])
            #expect(
                result
                    == ChatTurnResult(
                        text: "Sunny in Paris.", toolCalls: [], stopReason: .end,
                        usage: ChatUsage(inputTokens: 21, outputTokens: 4)))
        }
    }

    @Test func sendsTurnsToolsLimitsAndTheBearerCredential() async throws {
        let call = ChatToolCall(id: "call_7", name: "get_weather", arguments: ["city": "Paris"])
        let request = ChatRequest(
            turns: [
                .system("Be brief."), .user("Weather in Paris?"), .assistant(text: "", toolCalls: [call]),
                .toolResult(callID: "call_7", name: "get_weather", content: "{\"sky\":\"clear\"}", isError: false),
                .assistant(text: "Clear.", toolCalls: []), .user("Thanks"),
            ], tools: [weatherTool], maxTokens: 77, credential: fakeKey)
        let replies: [FakeModelServer.Reply] = [.stream([SSE.openAI(["content": "ok"], finish: "stop"), SSE.done])]
        let sent = try await FakeModelServer.serving(replies) { server in
            _ = try await openAIModel(server).respond(to: request) { _ in }
            return try #require(await server.requests.first)
        }
        #expect(sent.path == "/v1/chat/completions")
        #expect(sent.headers["authorization"] == "Bearer \(fakeKey)")
        #expect(sent.headers["content-type"] == "application/json")
        #expect(sent.headers["accept"] == "text/event-stream")
        let expected: JSONValue = [
            "model": "fake-gpt", "stream": true, "stream_options": ["include_usage": true], "max_tokens": 77,
            "messages": [
                ["role": "system", "content": "Be brief."],
                ["role": "user", "content": "Weather in Paris?"],
                [
                    "role": "assistant", "content": .null,
                    "tool_calls": [
                        [
                            "id": "call_7", "type": "function",
                            "function": ["name": "get_weather", "arguments": "{\"city\":\"Paris\"}"],
                        ]
                    ],
                ],
                ["role": "tool", "tool_call_id": "call_7", "content": "{\"sky\":\"clear\"}"],
                ["role": "assistant", "content": "Clear."],
                ["role": "user", "content": "Thanks"],
            ],
            "tools": [
                [
                    "type": "function",
                    "function": [
                        "name": "get_weather", "description": "The current weather of a city.",
                        "parameters": weatherTool.inputSchema,
                    ],
                ]
            ],
        ]
        #expect(sent.body == expected)
    }

    @Test func sendsNoAuthorizationWithoutACredentialAndNoToolsWhenNoneIsOffered() async throws {
        let request = ChatRequest(turns: [.user("hi")], tools: [], credential: nil)
        let replies: [FakeModelServer.Reply] = [.stream([SSE.openAI(["content": "hello"], finish: "stop"), SSE.done])]
        let sent = try await FakeModelServer.serving(replies) { server in
            _ = try await openAIModel(server).respond(to: request) { _ in }
            return try #require(await server.requests.first)
        }
        #expect(sent.headers["authorization"] == nil)
        #expect(sent.body["tools"] == nil)
        #expect(sent.body["max_tokens"] == 1024)
    }

    @Test func toolCallsSplitAcrossChunksAreEachReportedOnceComplete() async throws {
        let replies: [FakeModelServer.Reply] = [
            .stream([
                SSE.openAI(["role": "assistant", "content": "Checking."]),
                SSE.openAIToolFragment(index: 0, id: "call_a", name: "get_weather", arguments: ""),
                SSE.openAIToolFragment(index: 0, arguments: "{\"ci"),
                SSE.openAIToolFragment(index: 0, arguments: "ty\": \"Par"),
                SSE.openAIToolFragment(index: 1, id: "call_b", name: "get_", arguments: "{\"city\""),
                SSE.openAIToolFragment(index: 1, name: "weather", arguments: ":\"Oslo\"}"),
                SSE.openAIToolFragment(index: 0, arguments: "is\"}"),
                SSE.openAI([:], finish: "tool_calls"),
                SSE.openAIUsage(prompt: 30, completion: 12),
                SSE.done,
            ])
        ]
        try await FakeModelServer.serving(replies) { server in
            let log = EventLog()
            let result = try await openAIModel(server).respond(to: simpleRequest()) { await log.append($0) }
            let paris = ChatToolCall(id: "call_a", name: "get_weather", arguments: ["city": "Paris"])
            let oslo = ChatToolCall(id: "call_b", name: "get_weather", arguments: ["city": "Oslo"])
            #expect(await log.events == [.text("Checking."), .toolCall(paris), .toolCall(oslo)])
            #expect(result.toolCalls == [paris, oslo])
            #expect(result.stopReason == .toolCalls)
            #expect(result.text == "Checking.")
            #expect(result.usage == ChatUsage(inputTokens: 30, outputTokens: 12))
        }
    }

    @Test func emptyToolArgumentsAreAnEmptyObject() async throws {
        let replies: [FakeModelServer.Reply] = [
            .stream([
                SSE.openAIToolFragment(index: 0, id: "call_x", name: "get_weather", arguments: ""),
                SSE.openAI([:], finish: "tool_calls"), SSE.done,
            ])
        ]
        try await FakeModelServer.serving(replies) { server in
            let result = try await openAIModel(server).respond(to: simpleRequest()) { _ in }
            #expect(result.toolCalls == [ChatToolCall(id: "call_x", name: "get_weather", arguments: [:])])
        }
    }

    @Test func lengthFinishIsReportedAsLength() async throws {
        let replies: [FakeModelServer.Reply] = [
            .stream([SSE.openAI(["content": "It is"]), SSE.openAI([:], finish: "length"), SSE.done])
        ]
        try await FakeModelServer.serving(replies) { server in
            let result = try await openAIModel(server).respond(to: simpleRequest()) { _ in }
            #expect(result.stopReason == .length && result.text == "It is")
        }
    }

    @Test func malformedToolArgumentsFailNamingTheCall() async throws {
        let replies: [FakeModelServer.Reply] = [
            .stream([
                SSE.openAIToolFragment(index: 0, id: "call_bad", name: "get_weather", arguments: "{\"city\": Par"),
                SSE.openAI([:], finish: "tool_calls"), SSE.done,
            ]),
            .stream([
                SSE.openAIToolFragment(index: 0, id: "call_list", name: "get_weather", arguments: "[1, 2]"),
                SSE.openAI([:], finish: "tool_calls"), SSE.done,
            ]),
        ]
        try await FakeModelServer.serving(replies) { server in
            let model = try openAIModel(server)
            let log = EventLog()
            let notJSON = try #require(await failure(of: model, simpleRequest(), log: log))
            #expect(notJSON.code == .internalError)
            #expect(notJSON.message.contains("call_bad") && notJSON.message.contains("get_weather"))
            #expect(notJSON.message.contains("not JSON") && notJSON.message.contains("{\"city\": Par"))
            #expect(notJSON.details["toolCallID"] == "call_bad")
            #expect(await log.toolCalls.isEmpty)
            let notObject = try #require(await failure(of: model, simpleRequest()))
            #expect(notObject.code == .internalError)
            #expect(notObject.message.contains("call_list") && notObject.message.contains("not an object"))
        }
    }

    @Test func malformedChunksFailNamingWhatWasMalformed() async throws {
        let long = String(repeating: "x", count: 500)
        let replies: [FakeModelServer.Reply] = [
            .stream([SSE.openAI(["content": "Hi"]), "data: {\"choices\": [ \(long)\n\n", SSE.done]),
            .stream(["data: {\"choices\": {\"index\": 0}}\n\n", SSE.done]),
            .stream([SSE.openAI(["content": 42]), SSE.done]),
            .stream([SSE.openAIToolFragment(index: 0, id: "c", name: "get_weather", arguments: nil), "data: [1]\n\n"]),
        ]
        try await FakeModelServer.serving(replies) { server in
            let model = try openAIModel(server)
            let notJSON = try #require(await failure(of: model, simpleRequest()))
            #expect(notJSON.code == .internalError && notJSON.message.contains("not JSON"))
            #expect(notJSON.message.contains("{\"choices\": [ xxx"))
            #expect(notJSON.message.count < 300, "quotes at most ~100 characters of the chunk")
            let choices = try #require(await failure(of: model, simpleRequest()))
            #expect(choices.code == .internalError && choices.message.contains("choices: expected an array"))
            let content = try #require(await failure(of: model, simpleRequest()))
            #expect(content.message.contains("choices[0].delta.content: expected a string"))
            let array = try #require(await failure(of: model, simpleRequest()))
            #expect(array.message.contains("not a JSON object"))
        }
    }

    @Test func aStreamCutBeforeItsEndFails() async throws {
        let replies: [FakeModelServer.Reply] = [
            // The connection is cut mid-stream.
            .stream([SSE.openAI(["content": "Sun"])], ending: .cut),
            // The response ends cleanly, but without finish_reason and [DONE].
            .stream([SSE.openAI(["content": "Sun"])]),
            // finish_reason came, [DONE] did not.
            .stream([SSE.openAI(["content": "Sun"], finish: "stop")]),
        ]
        try await FakeModelServer.serving(replies) { server in
            let model = try openAIModel(server)
            for attempt in 1...3 {
                let log = EventLog()
                let error = try #require(await failure(of: model, simpleRequest(), log: log), "attempt \(attempt)")
                #expect(error.code == .internalError, "attempt \(attempt)")
                #expect(error.message == "the model's stream ended before the turn finished", "attempt \(attempt)")
                #expect(await log.text == "Sun", "what came before the cut was streamed")
            }
            #expect(await server.requests.count == 3, "a cut stream is not retried")
        }
    }

    @Test func anErrorChunkMidStreamIsMapped() async throws {
        let replies: [FakeModelServer.Reply] = [
            .stream([
                SSE.data(["error": ["message": "Rate limit reached for requests", "type": "rate_limit_exceeded"]])
            ]),
            .stream([SSE.data(["error": ["message": "The server had an error", "type": "server_error"]])]),
        ]
        try await FakeModelServer.serving(replies) { server in
            let model = try openAIModel(server)
            let limited = try #require(await failure(of: model, simpleRequest()))
            #expect(limited.code == .rateLimited && limited.message.contains("Rate limit reached"))
            let failed = try #require(await failure(of: model, simpleRequest()))
            #expect(failed.code == .internalError && failed.message.contains("The server had an error"))
        }
    }
}
