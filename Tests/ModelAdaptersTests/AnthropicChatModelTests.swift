import JSON
import Testing
import ToolRuntime

@testable import ModelAdapters

/// The Anthropic Messages adapter against a scripted server: what it sends, and how it reads streamed
/// text, tool calls split across `input_json_delta`s, usage, error events and broken streams.
@Suite struct AnthropicChatModelTests {
    @Test func streamsTextAndToolUseSplitAcrossDeltas() async throws {
        let replies: [FakeModelServer.Reply] = [
            .stream(
                [
                    SSE.messageStart(inputTokens: 42),
                    SSE.event("ping", [:]),
                    SSE.event("content_block_start", ["index": 0, "content_block": ["type": "text", "text": ""]]),
                    SSE.event("content_block_delta", ["index": 0, "delta": ["type": "text_delta", "text": "Let me"]]),
                    SSE.event(
                        "content_block_delta", ["index": 0, "delta": ["type": "text_delta", "text": " check."]]),
                    SSE.event("content_block_stop", ["index": 0]),
                    SSE.event(
                        "content_block_start",
                        [
                            "index": 1,
                            "content_block": [
                                "type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": [:],
                            ],
                        ]),
                    SSE.event(
                        "content_block_delta", ["index": 1, "delta": ["type": "input_json_delta", "partial_json": ""]]),
                    SSE.event(
                        "content_block_delta",
                        ["index": 1, "delta": ["type": "input_json_delta", "partial_json": "{\"city\": \"Pa"]]),
                    SSE.event(
                        "content_block_delta",
                        ["index": 1, "delta": ["type": "input_json_delta", "partial_json": "ris\"}"]]
                    ),
                    SSE.event("content_block_stop", ["index": 1]),
                    SSE.event("some_future_event", ["whatever": true]),
                ] + SSE.messageEnd("tool_use", outputTokens: 19))
        ]
        try await FakeModelServer.serving(replies) { server in
            let log = EventLog()
            let result = try await anthropicModel(server).respond(to: simpleRequest()) { await log.append($0) }
            let call = ChatToolCall(id: "toolu_01", name: "get_weather", arguments: ["city": "Paris"])
            #expect(await log.events == [.text("Let me"), .text(" check."), .toolCall(call)])
            #expect(
                result
                    == ChatTurnResult(
                        text: "Let me check.", toolCalls: [call], stopReason: .toolCalls,
                        usage: ChatUsage(inputTokens: 42, outputTokens: 19)))
        }
    }

    @Test func stopReasonsMapToEndAndLength() async throws {
        func text(_ stop: String) -> FakeModelServer.Reply {
            .stream(
                [
                    SSE.messageStart(inputTokens: 5),
                    SSE.event("content_block_start", ["index": 0, "content_block": ["type": "text", "text": ""]]),
                    SSE.event("content_block_delta", ["index": 0, "delta": ["type": "text_delta", "text": "Hi"]]),
                    SSE.event("content_block_stop", ["index": 0]),
                ] + SSE.messageEnd(stop, outputTokens: 2))
        }
        try await FakeModelServer.serving([text("end_turn"), text("max_tokens")]) { server in
            let model = try anthropicModel(server)
            let ended = try await model.respond(to: simpleRequest()) { _ in }
            #expect(
                ended.stopReason == .end && ended.text == "Hi"
                    && ended.usage == ChatUsage(inputTokens: 5, outputTokens: 2))
            #expect(try await model.respond(to: simpleRequest()) { _ in }.stopReason == .length)
        }
    }

    @Test func sendsSystemToolsMergedToolResultsAndHeaders() async throws {
        let first = ChatToolCall(id: "toolu_a", name: "get_weather", arguments: ["city": "Paris"])
        let second = ChatToolCall(id: "toolu_b", name: "get_weather", arguments: ["city": "Oslo"])
        let request = ChatRequest(
            turns: [
                .system("Be brief."), .system("Answer in English."), .user("Weather in Paris and Oslo?"),
                .assistant(text: "Checking both.", toolCalls: [first, second]),
                .toolResult(callID: "toolu_a", name: "get_weather", content: "{\"sky\":\"clear\"}", isError: false),
                .toolResult(callID: "toolu_b", name: "get_weather", content: "{\"error\":\"down\"}", isError: true),
                .user("And tomorrow?"),
            ], tools: [weatherTool], maxTokens: 300, credential: fakeKey)
        let replies: [FakeModelServer.Reply] = [
            .stream([SSE.messageStart(inputTokens: 1)] + SSE.messageEnd("end_turn", outputTokens: 1))
        ]
        let sent = try await FakeModelServer.serving(replies) { server in
            _ = try await anthropicModel(server).respond(to: request) { _ in }
            return try #require(await server.requests.first)
        }
        #expect(sent.path == "/v1/messages")
        #expect(sent.headers["x-api-key"] == fakeKey)
        #expect(sent.headers["anthropic-version"] == "2023-06-01")
        #expect(sent.headers["authorization"] == nil)
        let expected: JSONValue = [
            "model": "fake-claude", "max_tokens": 300, "stream": true,
            "system": "Be brief.\n\nAnswer in English.",
            "messages": [
                ["role": "user", "content": [["type": "text", "text": "Weather in Paris and Oslo?"]]],
                [
                    "role": "assistant",
                    "content": [
                        ["type": "text", "text": "Checking both."],
                        ["type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": ["city": "Paris"]],
                        ["type": "tool_use", "id": "toolu_b", "name": "get_weather", "input": ["city": "Oslo"]],
                    ],
                ],
                [
                    "role": "user",
                    "content": [
                        [
                            "type": "tool_result", "tool_use_id": "toolu_a", "content": "{\"sky\":\"clear\"}",
                            "is_error": false,
                        ],
                        [
                            "type": "tool_result", "tool_use_id": "toolu_b", "content": "{\"error\":\"down\"}",
                            "is_error": true,
                        ],
                        ["type": "text", "text": "And tomorrow?"],
                    ],
                ],
            ],
            "tools": [
                [
                    "name": "get_weather", "description": "The current weather of a city.",
                    "input_schema": weatherTool.inputSchema,
                ]
            ],
        ]
        #expect(sent.body == expected)
    }

    @Test func sendsNoKeyHeaderWithoutACredential() async throws {
        let replies: [FakeModelServer.Reply] = [
            .stream([SSE.messageStart(inputTokens: 1)] + SSE.messageEnd("end_turn", outputTokens: 1))
        ]
        let sent = try await FakeModelServer.serving(replies) { server in
            _ = try await anthropicModel(server).respond(to: simpleRequest(credential: nil)) { _ in }
            return try #require(await server.requests.first)
        }
        #expect(sent.headers["x-api-key"] == nil && sent.headers["authorization"] == nil)
        #expect(sent.headers["anthropic-version"] == "2023-06-01")
    }

    @Test func errorEventsAreMappedByType() async throws {
        func failing(_ type: String, _ message: String) -> FakeModelServer.Reply {
            .stream([
                SSE.messageStart(inputTokens: 1),
                SSE.event("error", ["error": ["type": .string(type), "message": .string(message)]]),
            ])
        }
        let replies = [
            failing("overloaded_error", "Overloaded"), failing("rate_limit_error", "Slow down"),
            failing("api_error", "Internal trouble"),
        ]
        try await FakeModelServer.serving(replies) { server in
            let model = try anthropicModel(server)
            let overloaded = try #require(await failure(of: model, simpleRequest()))
            #expect(overloaded.code == .internalError)
            #expect(overloaded.message.contains("overloaded_error") && overloaded.message.contains("Overloaded"))
            let limited = try #require(await failure(of: model, simpleRequest()))
            #expect(limited.code == .rateLimited && limited.message.contains("Slow down"))
            let other = try #require(await failure(of: model, simpleRequest()))
            #expect(other.code == .internalError && other.message.contains("Internal trouble"))
        }
    }

    @Test func aStreamWithoutMessageStopFails() async throws {
        let partial = [
            SSE.messageStart(inputTokens: 3),
            SSE.event("content_block_start", ["index": 0, "content_block": ["type": "text", "text": ""]]),
            SSE.event("content_block_delta", ["index": 0, "delta": ["type": "text_delta", "text": "Sun"]]),
        ]
        let replies: [FakeModelServer.Reply] = [.stream(partial, ending: .cut), .stream(partial)]
        try await FakeModelServer.serving(replies) { server in
            let model = try anthropicModel(server)
            for _ in 1...2 {
                let log = EventLog()
                let error = try #require(await failure(of: model, simpleRequest(), log: log))
                #expect(error.code == .internalError)
                #expect(error.message == "the model's stream ended before the turn finished")
                #expect(await log.text == "Sun")
            }
        }
    }

    @Test func malformedEventsAndToolInputFailNamingThem() async throws {
        let replies: [FakeModelServer.Reply] = [
            .stream([
                SSE.messageStart(inputTokens: 1),
                "event: content_block_start\ndata: {\"type\": \"content_block_start\", \"index\": \"zero\"}\n\n",
            ]),
            .stream([
                SSE.messageStart(inputTokens: 1),
                SSE.event(
                    "content_block_start",
                    [
                        "index": 0,
                        "content_block": ["type": "tool_use", "id": "toolu_bad", "name": "get_weather", "input": [:]],
                    ]
                ),
                SSE.event(
                    "content_block_delta",
                    ["index": 0, "delta": ["type": "input_json_delta", "partial_json": "{\"city\":"]]),
                SSE.event("content_block_stop", ["index": 0]),
            ]),
            .stream(["event: message_start\ndata: not json at all\n\n"]),
        ]
        try await FakeModelServer.serving(replies) { server in
            let model = try anthropicModel(server)
            let index = try #require(await failure(of: model, simpleRequest()))
            #expect(index.code == .internalError && index.message.contains("index: expected a non-negative integer"))
            let arguments = try #require(await failure(of: model, simpleRequest()))
            #expect(arguments.code == .internalError)
            #expect(arguments.message.contains("toolu_bad") && arguments.message.contains("get_weather"))
            let notJSON = try #require(await failure(of: model, simpleRequest()))
            #expect(notJSON.code == .internalError && notJSON.message.contains("not JSON"))
            #expect(notJSON.message.contains("not json at all"))
        }
    }
}
