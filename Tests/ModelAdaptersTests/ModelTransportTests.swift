import JSON
import Logging
import Testing
import ToolRuntime

@testable import ModelAdapters

/// What both adapters share: status codes, retries, cancellation, limits, redirects, and a credential
/// that never leaks.
@Suite struct ModelTransportTests {
    /// A complete one-word OpenAI stream.
    static let okStream = FakeModelServer.Reply.stream([SSE.openAI(["content": "ok"], finish: "stop"), SSE.done])

    @Test func rateLimitIsReportedWithRetryAfterAndNotRetried() async throws {
        let replies: [FakeModelServer.Reply] = [
            .status(429, headers: ["Retry-After": "17"], body: "{\"error\":{\"message\":\"Too many requests\"}}"),
            .status(429, body: "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Slow\"}}"),
        ]
        try await FakeModelServer.serving(replies) { server in
            let limited = try #require(await failure(of: try openAIModel(server), simpleRequest()))
            #expect(limited.code == .rateLimited)
            #expect(limited.details["retryAfterSeconds"] == 17)
            #expect(limited.message.contains("429") && limited.message.contains("Too many requests"))
            #expect(await server.requests.count == 1, "a 429 is not retried")
            let unsaid = try #require(await failure(of: try anthropicModel(server), simpleRequest()))
            #expect(unsaid.code == .rateLimited && unsaid.details["retryAfterSeconds"] == nil)
            #expect(await server.requests.count == 2)
        }
    }

    @Test func refusedCredentialsAreUnauthorized() async throws {
        let replies: [FakeModelServer.Reply] = [
            .status(401, body: "{\"error\":{\"message\":\"Incorrect API key provided\"}}"),
            .status(403, body: "{\"type\":\"error\",\"error\":{\"type\":\"permission_error\",\"message\":\"no\"}}"),
        ]
        try await FakeModelServer.serving(replies) { server in
            let unauthorized = try #require(await failure(of: try openAIModel(server), simpleRequest()))
            #expect(unauthorized.code == .unauthorized && unauthorized.message.contains("401"))
            let forbidden = try #require(await failure(of: try anthropicModel(server), simpleRequest()))
            #expect(forbidden.code == .unauthorized && forbidden.message.contains("403"))
            #expect(await server.requests.count == 2)
        }
    }

    @Test func serverErrorsAreRetriedTwiceThenTheTurnSucceeds() async throws {
        let replies: [FakeModelServer.Reply] = [
            .status(503, body: "{\"error\":{\"message\":\"busy\"}}"), .status(503), Self.okStream,
        ]
        try await FakeModelServer.serving(replies) { server in
            let started = ContinuousClock.now
            let result = try await openAIModel(server).respond(to: simpleRequest()) { _ in }
            let elapsed = ContinuousClock.now - started
            #expect(result.text == "ok" && result.stopReason == .end)
            #expect(await server.requests.count == 3)
            #expect(elapsed >= .milliseconds(800), "backs off 200 ms, then 600 ms")
        }
    }

    @Test func serverErrorsThreeTimesFailNamingTheStatus() async throws {
        let replies: [FakeModelServer.Reply] = Array(
            repeating: .status(
                500, body: "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"boom\"}}"),
            count: 4)
        try await FakeModelServer.serving(replies) { server in
            let error = try #require(await failure(of: try anthropicModel(server), simpleRequest()))
            #expect(error.code == .internalError)
            #expect(
                error.message.contains("500") && error.message.contains("3 attempts") && error.message.contains("boom"))
            #expect(await server.requests.count == 3, "retried at most twice")
        }
    }

    @Test func connectionRefusedNamesHostAndPort() async throws {
        // A port that was just listened on and is closed now.
        let port = try await FakeModelServer.serving([]) { server in server.port }
        let model = OpenAIChatModel(model: "m", baseURL: try ModelServerURL(parsing: "http://127.0.0.1:\(port)/v1"))
        let started = ContinuousClock.now
        let error = try #require(await failure(of: model, simpleRequest()))
        #expect(error.code == .internalError)
        #expect(error.message.contains("127.0.0.1:\(port)"))
        #expect(error.message.contains("connection refused"))
        // Below the 10 s connect timeout (the message already says it was refused, not timed out).
        #expect(ContinuousClock.now - started < .seconds(9), "a refused connection fails at once")
    }

    @Test func cancellationStopsTheTurnPromptly() async throws {
        let replies: [FakeModelServer.Reply] = [.stream([SSE.openAI(["content": "Thinking"])], ending: .hang)]
        try await FakeModelServer.serving(replies) { server in
            let model = try openAIModel(server)
            let (firstEvent, eventSeen) = AsyncStream<Void>.makeStream()
            let turn = Task { () async throws -> ChatTurnResult in
                try await model.respond(to: simpleRequest()) { _ in eventSeen.yield() }
            }
            var events = firstEvent.makeAsyncIterator()
            await events.next()
            let cancelled = ContinuousClock.now
            turn.cancel()
            let outcome = await turn.result
            // The stream hangs forever: anything under 10 s shows the cancel did not wait for it (the bound
            // leaves room for a machine running the whole suite in parallel on 2 cores).
            #expect(ContinuousClock.now - cancelled < .seconds(10), "cancellation is prompt")
            guard case .failure(let error) = outcome else {
                Issue.record("a cancelled turn must fail")
                return
            }
            #expect((error as? OmegaError)?.code == .cancelled, "\(error)")
        }
    }

    @Test func aTurnPastItsTimeoutFails() async throws {
        let replies: [FakeModelServer.Reply] = [.stream([SSE.openAI(["content": "Thinking"])], ending: .hang)]
        try await FakeModelServer.serving(replies) { server in
            let started = ContinuousClock.now
            let error = try #require(await failure(of: try openAIModel(server, timeout: .seconds(1)), simpleRequest()))
            #expect(error.code == .internalError && error.message.contains("within 1 seconds"))
            // The stream hangs forever; the 1 s deadline answers (with room for a loaded machine).
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test func aLineOverOneMebibyteIsRefused() async throws {
        let huge = "data: {\"choices\": \"" + String(repeating: "a", count: (1 << 20) + 16)
        let replies: [FakeModelServer.Reply] = [.stream([huge, "\"}\n\n", SSE.done])]
        try await FakeModelServer.serving(replies) { server in
            let error = try #require(await failure(of: try openAIModel(server), simpleRequest()))
            #expect(error.code == .internalError && error.message.contains("longer than 1048576 bytes"))
        }
    }

    @Test func redirectsAreNotFollowed() async throws {
        try await FakeModelServer.serving([Self.okStream]) { elsewhere in
            let replies: [FakeModelServer.Reply] = [
                .status(307, headers: ["Location": elsewhere.url + "/v1/chat/completions"])
            ]
            try await FakeModelServer.serving(replies) { server in
                let error = try #require(await failure(of: try openAIModel(server), simpleRequest()))
                #expect(error.code == .internalError)
                #expect(error.message.contains("307") && error.message.contains("redirects are not followed"))
            }
            #expect(await elsewhere.requests.isEmpty, "the credential never went to the other server")
        }
    }

    @Test func anAnswerThatIsNotAnEventStreamFails() async throws {
        let replies: [FakeModelServer.Reply] = [
            .status(200, body: "{\"choices\":[{\"message\":{\"content\":\"hi\"}}]}")
        ]
        try await FakeModelServer.serving(replies) { server in
            let error = try #require(await failure(of: try openAIModel(server), simpleRequest()))
            #expect(error.code == .internalError && error.message.contains("not an event stream"))
        }
    }

    @Test func theCredentialAppearsInNoErrorEvenWhenTheServerEchoesIt() async throws {
        let echo = "your key \(fakeKey) was seen"
        let replies: [FakeModelServer.Reply] = [
            .status(401, body: "{\"error\":{\"message\":\"\(echo)\"}}"),
            .status(400, body: "{\"error\":{\"message\":\"\(echo)\"}}"),
            .status(429, body: echo, contentType: "text/plain"),
            .status(500, body: echo), .status(500, body: echo), .status(500, body: echo),
            .stream(["data: {\(echo)\n\n"]),
            .stream([SSE.data(["error": ["message": .string(echo)]])]),
            .stream([
                SSE.openAIToolFragment(index: 0, id: fakeKey, name: "get_weather", arguments: "{\(fakeKey)"),
                SSE.openAI([:], finish: "tool_calls"), SSE.done,
            ]),
            .status(200, body: echo, contentType: "text/html"),
            .stream([
                SSE.messageStart(inputTokens: 1),
                SSE.event("error", ["error": ["type": "api_error", "message": .string(echo)]]),
            ]),
        ]
        let logs = CapturingLogHandler.Store()
        let logger = Logger(label: "model-test") { _ in CapturingLogHandler(store: logs) }
        try await FakeModelServer.serving(replies) { server in
            let openAI = OpenAIChatModel(
                model: "fake-gpt", baseURL: try ModelServerURL(parsing: server.url + "/v1"), logger: logger)
            let anthropic = AnthropicChatModel(
                model: "fake-claude", baseURL: try ModelServerURL(parsing: server.url), logger: logger)
            var errors: [OmegaError] = []
            for _ in 0..<8 {
                errors.append(try #require(await failure(of: openAI, simpleRequest())))
            }
            errors.append(try #require(await failure(of: anthropic, simpleRequest())))
            #expect(
                errors.map(\.code) == [
                    .unauthorized, .internalError, .rateLimited, .internalError, .internalError, .internalError,
                    .internalError, .internalError, .internalError,
                ])
            for error in errors {
                #expect(!mentions(error, fakeKey), "leaked in: \(error.message)")
            }
            #expect(errors[1].message.contains("[redacted]"), "the server's words are quoted, redacted")
            #expect(!String(describing: openAI).contains(fakeKey))
            #expect(!String(describing: anthropic).contains(fakeKey))
        }
        #expect(logs.all.contains { $0.contains("retrying") }, "the requests were logged")
        #expect(!logs.all.contains { $0.contains(fakeKey) }, "no log line holds the credential")
    }

    @Test func invalidRequestsAreRefusedBeforeAnythingIsSent() async throws {
        try await FakeModelServer.serving([]) { server in
            let model = try openAIModel(server)
            let cases: [(ChatRequest, String)] = [
                (ChatRequest(turns: [.user("hi")], tools: [], maxTokens: 0), "maxTokens"),
                (ChatRequest(turns: [.system("only instructions")], tools: []), "turns"),
                (
                    ChatRequest(
                        turns: [.user("hi")],
                        tools: [ChatTool(name: "bad name!", description: "", inputSchema: ["type": "object"])]),
                    "tools[0].name"
                ),
                (
                    ChatRequest(
                        turns: [.user("hi")],
                        tools: [ChatTool(name: "t", description: "", inputSchema: ["type": "string"])]
                    ),
                    "tools[0].inputSchema"
                ),
                (
                    ChatRequest(
                        turns: [.user("hi"), .toolResult(callID: "nope", name: "t", content: "{}", isError: false)],
                        tools: []),
                    "turns[1]"
                ),
            ]
            let newline = ChatRequest(turns: [.user("hi")], tools: [], credential: fakeKey + "\r\nX-Injected: 1")
            for (request, field) in cases + [(newline, "credential")] {
                let error = try #require(await failure(of: model, request))
                #expect(error.code == .invalidInput && error.message.hasPrefix(field + ":"), "\(error.message)")
                #expect(!mentions(error, fakeKey))
            }
            #expect(await server.requests.isEmpty)
        }
    }
}
