import Hummingbird
import JSON
import Logging
import ModelAdapters

/// A model server for the tests: Hummingbird on 127.0.0.1, a free port, answering
/// `POST /v1/chat/completions` and `POST /v1/messages` with the scripted replies, one per request, in
/// order (a request past the script gets a 500), and recording every request it got.
final class FakeModelServer: Sendable {
    /// How a scripted stream ends.
    enum Ending: Sendable {
        /// The response ends normally (the terminating chunk is sent).
        case normal
        /// The connection is cut: the body fails, so the terminating chunk is never sent.
        case cut
        /// The stream stays open (until the client goes away or a minute passes).
        case hang
    }

    /// One scripted reply.
    enum Reply: Sendable {
        /// `200 text/event-stream`: these pieces, each written on its own, `pause` apart, then `ending`.
        case stream([String], pause: Duration = .zero, ending: Ending = .normal)
        /// A plain answer.
        case status(Int, headers: [String: String] = [:], body: String = "", contentType: String = "application/json")
    }

    /// A request as the server got it.
    struct Recorded: Sendable {
        /// Its path (`/v1/messages`).
        var path: String
        /// Its headers, names lower-cased.
        var headers: [String: String]
        /// Its body, parsed (`.null` when it was not JSON).
        var body: JSONValue
    }

    /// The script and what was received.
    private actor State {
        var replies: [Reply]
        var requests: [Recorded] = []

        init(_ replies: [Reply]) { self.replies = replies }

        func next(_ request: Recorded) -> Reply {
            requests.append(request)
            return replies.isEmpty
                ? .status(500, body: "{\"error\":{\"message\":\"no more scripted replies\"}}") : replies.removeFirst()
        }
    }

    private let state: State
    /// The port it listens on.
    let port: Int

    private init(state: State, port: Int) {
        self.state = state
        self.port = port
    }

    /// `http://127.0.0.1:PORT`.
    var url: String { "http://127.0.0.1:\(port)" }

    /// Every request received so far, in order.
    var requests: [Recorded] {
        get async { await state.requests }
    }

    /// Serves `replies` for the duration of `body`, then stops.
    ///
    /// - Parameters:
    ///   - replies: The replies, one per request, in order.
    ///   - body: The test, given the running server.
    static func serving<T: Sendable>(
        _ replies: [Reply], _ body: @Sendable (FakeModelServer) async throws -> T
    ) async throws -> T {
        let state = State(replies)
        let router = Router()
        for path in ["/v1/chat/completions", "/v1/messages"] {
            router.post(RouterPath(stringLiteral: path)) { request, _ -> Response in
                var request = request
                let bytes = try await request.collectBody(upTo: 4 << 20)
                let text = String(decoding: bytes.readableBytesView, as: UTF8.self)
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName] = field.value }
                let recorded = Recorded(
                    path: request.uri.path, headers: headers, body: (try? JSONParser().parse(text)) ?? .null)
                return Self.response(for: await state.next(recorded))
            }
        }
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "fake-model-server")
        logger.logLevel = .critical
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger)
        let serverTask = Task { try await application.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            serverTask.cancel()
            throw FakeServerError.didNotStart
        }
        let server = FakeModelServer(state: state, port: port)
        do {
            let value = try await body(server)
            serverTask.cancel()
            _ = await serverTask.result
            return value
        } catch {
            serverTask.cancel()
            _ = await serverTask.result
            throw error
        }
    }

    /// The Hummingbird response for a scripted reply.
    private static func response(for reply: Reply) -> Response {
        switch reply {
        case .status(let code, let extra, let body, let contentType):
            var headers: HTTPFields = [.contentType: contentType]
            for (name, value) in extra { headers[HTTPFields.Element.Name(name)!] = value }
            return Response(
                status: HTTPResponse.Status(code: code), headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        case .stream(let pieces, let pause, let ending):
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    for piece in pieces {
                        try await writer.write(ByteBuffer(string: piece))
                        if pause > .zero { try await Task.sleep(for: pause) }
                    }
                    switch ending {
                    case .normal: try await writer.finish(nil)
                    case .cut: throw FakeServerError.cut
                    case .hang:
                        try await Task.sleep(for: .seconds(60))
                        try await writer.finish(nil)
                    }
                })
        }
    }
}

/// Why the fake server failed.
enum FakeServerError: Error {
    /// It did not report a port.
    case didNotStart
    /// A scripted cut.
    case cut
}

/// Builders for scripted streams.
enum SSE {
    /// `data: {json}\n\n`.
    static func data(_ json: JSONValue) -> String { "data: \(json.jsonText)\n\n" }

    /// `event: name\ndata: {json}\n\n` (the Messages API's form).
    static func event(_ name: String, _ json: JSONValue) -> String {
        var json = json
        if case .object(var members) = json {
            members["type"] = .string(name)
            json = .object(members)
        }
        return "event: \(name)\ndata: \(json.jsonText)\n\n"
    }

    /// `data: [DONE]\n\n`.
    static let done = "data: [DONE]\n\n"

    /// A Chat Completions chunk with one choice's `delta` (and `finish_reason`).
    static func openAI(_ delta: JSONValue, finish: String? = nil) -> String {
        data([
            "id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "fake",
            "choices": [["index": 0, "delta": delta, "finish_reason": finish.map(JSONValue.string) ?? .null]],
        ])
    }

    /// The usage chunk of a Chat Completions stream.
    static func openAIUsage(prompt: Int, completion: Int) -> String {
        data([
            "id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [],
            "usage": [
                "prompt_tokens": .integer(Int64(prompt)), "completion_tokens": .integer(Int64(completion)),
                "total_tokens": .integer(Int64(prompt + completion)),
            ],
        ])
    }

    /// A Chat Completions tool-call fragment.
    static func openAIToolFragment(index: Int, id: String? = nil, name: String? = nil, arguments: String?) -> String {
        var function: [String: JSONValue] = [:]
        if let name { function["name"] = .string(name) }
        if let arguments { function["arguments"] = .string(arguments) }
        var call: [String: JSONValue] = ["index": .integer(Int64(index)), "function": .object(function)]
        if let id {
            call["id"] = .string(id)
            call["type"] = "function"
        }
        return openAI(["tool_calls": [.object(call)]])
    }

    /// `message_start` with `inputTokens`.
    static func messageStart(inputTokens: Int) -> String {
        event(
            "message_start",
            [
                "message": [
                    "id": "msg_1", "type": "message", "role": "assistant", "model": "fake", "content": [],
                    "usage": ["input_tokens": .integer(Int64(inputTokens)), "output_tokens": 1],
                ]
            ])
    }

    /// `message_delta` with `stopReason` and `outputTokens`, then `message_stop`.
    static func messageEnd(_ stopReason: String, outputTokens: Int) -> [String] {
        [
            event(
                "message_delta",
                [
                    "delta": ["stop_reason": .string(stopReason), "stop_sequence": .null],
                    "usage": ["output_tokens": .integer(Int64(outputTokens))],
                ]),
            event("message_stop", [:]),
        ]
    }
}
