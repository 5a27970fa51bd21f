import AsyncHTTPClient
import JSON
import Logging
import ToolRuntime

/// Reads one streamed turn: fed the server's events in order, it reports the pieces as they come and
/// builds the whole turn. One value per request (a retried request starts from a fresh one).
protocol ModelStreamReader: Sendable {
    /// Reads one event.
    ///
    /// - Parameters:
    ///   - event: The next server-sent event.
    ///   - onEvent: Where streamed pieces go, in order.
    /// - Returns: Whether the turn is finished (`[DONE]`, `message_stop`): nothing after it is read.
    /// - Throws: ``OmegaError`` for a malformed event or an error the server streamed.
    mutating func read(_ event: ServerSentEvent, onEvent: @Sendable (ChatEvent) async -> Void)
        async throws(OmegaError) -> Bool

    /// The whole turn, once ``read(_:onEvent:)`` said it is finished.
    func result() throws(OmegaError) -> ChatTurnResult
}

/// The HTTP side every adapter shares: one `POST` of a JSON body to the configured server, answered by
/// a `text/event-stream`.
///
/// Guarantees:
/// - one process-wide `HTTPClient` (``client``), never one per request; redirects are never followed, so
///   the credential only ever goes to ``server``'s host and port;
/// - every turn has a connection of its own (`Connection: close`), so a kept-alive connection the server
///   closed in the meantime never fails a turn (a connection costs little beside a model's turn);
/// - a 5xx answer is retried at most twice (after 200 ms, then 600 ms), always before anything of the
///   turn was streamed; every other failure is reported at once;
/// - the whole turn (connection, answer, stream) ends within ``timeout``, else `INTERNAL_ERROR`;
/// - task cancellation cancels the HTTP request and is reported as `CANCELLED`;
/// - no streamed line over 1 MiB, no stream over 64 MiB, no error body over 64 KiB is held;
/// - the credential appears in no error message and no log line: it is only put in its header, and
///   text from the server is redacted of it before it is quoted.
struct ModelTransport: Sendable {
    /// The client every adapter uses: an HTTP/1.1 and HTTP/2 client on the shared event loops, with no
    /// redirects, no decompression, a 10 s connect timeout and no retried connection attempts (a
    /// refused connection fails at once).
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: HTTPClient.Configuration.Timeout(connect: .seconds(10)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// Longest stream accepted, in bytes (64 MiB).
    static let maximumStreamBytes = 64 << 20
    /// Most bytes of an error answer read (64 KiB); the rest is not read.
    static let maximumErrorBodyBytes = 64 << 10
    /// Most characters of server text quoted in an error message.
    static let excerptLength = 100

    /// Where requests go.
    let server: ModelServerURL
    /// The longest a turn may take, from the request to the end of its stream.
    let timeout: Duration
    /// The pauses before the retries of a 5xx answer (one retry per element).
    let retryDelays: [Duration]
    /// Where requests are logged (server, path, status, retries; never a header or a body).
    let logger: Logger

    /// A transport.
    ///
    /// - Parameters:
    ///   - server: The server's base URL.
    ///   - timeout: The longest a turn may take.
    ///   - retryDelays: The pauses before the retries of a 5xx answer (default 200 ms, 600 ms).
    ///   - logger: Where requests are logged.
    init(
        server: ModelServerURL, timeout: Duration, retryDelays: [Duration] = [.milliseconds(200), .milliseconds(600)],
        logger: Logger
    ) {
        self.server = server
        self.timeout = timeout
        self.retryDelays = retryDelays
        self.logger = logger
    }

    /// Posts `body` to `path` and streams the answer into `reader` until it says the turn is finished.
    ///
    /// - Parameters:
    ///   - path: The endpoint's path, appended to the base URL (`/chat/completions`).
    ///   - headers: Headers without secrets (`anthropic-version`).
    ///   - credentialHeader: The header that carries the credential, when there is one
    ///     (`Authorization: Bearer …`, `x-api-key: …`); never logged.
    ///   - credential: The credential itself, redacted from every quoted server text.
    ///   - body: The JSON request.
    ///   - reader: Reads the stream (a fresh copy per attempt).
    ///   - onEvent: Where streamed pieces go.
    /// - Returns: The reader's turn.
    /// - Throws: ``OmegaError`` as the type's guarantees say.
    func turn<Reader: ModelStreamReader>(
        path: String, headers: [(String, String)], credentialHeader: (name: String, value: String)?,
        credential: String?, body: JSONValue, reader: Reader, onEvent: @escaping @Sendable (ChatEvent) async -> Void
    ) async throws(OmegaError) -> ChatTurnResult {
        var request = HTTPClientRequest(url: server.appending(path))
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "text/event-stream")
        // A connection per turn: no pooled connection the server has closed meanwhile can fail a turn,
        // and a stream left unread after its end leaves nothing behind.
        request.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let credentialHeader { request.headers.add(name: credentialHeader.name, value: credentialHeader.value) }
        request.body = .bytes(Array(body.jsonText.utf8))
        let prepared = request
        let secret = credential.flatMap { $0.isEmpty ? nil : $0 }
        let timeout = self.timeout
        // The turn runs in a task of its own, raced against the deadline and the caller's cancellation:
        // whichever comes first answers at once, and the turn's task is cancelled behind it (an HTTP
        // body that waits for bytes notices only when the connection closes).
        let first = FirstOutcome<ChatTurnResult>()
        let work = Task {
            do {
                first.settle(.success(try await self.attempts(prepared, secret: secret, reader: reader, onEvent: onEvent)))
            } catch {
                first.settle(.failure(error))
            }
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            first.settle(
                .failure(
                    OmegaError(
                        .internalError,
                        "the model's server (\(server.hostAndPort)) did not finish the turn within \(Self.seconds(timeout)) seconds"
                    )))
        }
        defer {
            work.cancel()
            timer.cancel()
        }
        do {
            return try await withTaskCancellationHandler {
                try await first.value()
            } onCancel: {
                first.settle(.failure(CancellationError()))
            }
        } catch {
            throw classify(error, secret: secret)
        }
    }

    /// The request, retried after a 5xx answer, then its stream read to the end.
    private func attempts<Reader: ModelStreamReader>(
        _ request: HTTPClientRequest, secret: String?, reader: Reader,
        onEvent: @escaping @Sendable (ChatEvent) async -> Void
    ) async throws -> ChatTurnResult {
        var attempt = 0
        while true {
            let response = try await Self.client.execute(request, deadline: .distantFuture, logger: nil)
            let status = Int(response.status.code)
            logger.debug(
                "model request answered",
                metadata: ["server": "\(server.hostAndPort)", "status": "\(status)", "attempt": "\(attempt + 1)"])
            if (200..<300).contains(status) {
                return try await stream(response, secret: secret, reader: reader, onEvent: onEvent)
            }
            let errorBody = try await Self.readBounded(response.body, limit: Self.maximumErrorBodyBytes)
            if (500..<600).contains(status) && attempt < retryDelays.count {
                logger.notice(
                    "retrying the model request after a server error",
                    metadata: ["server": "\(server.hostAndPort)", "status": "\(status)"])
                try await Task.sleep(for: retryDelays[attempt])
                attempt += 1
                continue
            }
            throw failure(
                status: status, reason: response.status.reasonPhrase,
                retryAfter: response.headers.first(name: "Retry-After"), body: errorBody,
                attempts: attempt + 1, secret: secret)
        }
    }

    /// Reads a 2xx answer's event stream into `reader`.
    private func stream<Reader: ModelStreamReader>(
        _ response: HTTPClientResponse, secret: String?, reader: Reader,
        onEvent: @escaping @Sendable (ChatEvent) async -> Void
    ) async throws -> ChatTurnResult {
        let contentType = response.headers.first(name: "Content-Type") ?? ""
        if !contentType.isEmpty && !contentType.lowercased().contains("text/event-stream") {
            let body = try await Self.readBounded(response.body, limit: Self.maximumErrorBodyBytes)
            throw OmegaError(
                .internalError,
                "the model's server (\(server.hostAndPort)) answered \(contentType.prefix(60)), not an event stream: \(Self.excerpt(Self.serverMessage(body), redacting: secret))"
            )
        }
        var reader = reader
        var parser = ServerSentEventParser()
        var received = 0
        do {
            for try await buffer in response.body {
                received += buffer.readableBytes
                guard received <= Self.maximumStreamBytes else {
                    throw OmegaError(
                        .internalError,
                        "the model's stream exceeded \(Self.maximumStreamBytes >> 20) MiB, refused")
                }
                for event in try parser.feed(buffer.readableBytesView) {
                    if try await reader.read(event, onEvent: onEvent) { return try reader.result() }
                }
            }
        } catch let error as OmegaError {
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            logger.debug(
                "the model's stream failed",
                metadata: ["server": "\(server.hostAndPort)", "error": "\(type(of: error))"])
        }
        throw OmegaError(.internalError, "the model's stream ended before the turn finished")
    }

    /// The error for a non-2xx answer, after its retries.
    private func failure(
        status: Int, reason: String, retryAfter: String?, body: String, attempts: Int, secret: String?
    ) -> OmegaError {
        let answered = "the model's server (\(server.hostAndPort)) answered \(status) \(reason)"
        let quoted = Self.excerpt(Self.serverMessage(body), redacting: secret)
        let said = quoted.isEmpty ? "" : ": \(quoted)"
        switch status {
        case 429:
            var details: [String: JSONValue] = [:]
            var retry = ""
            if let value = retryAfter.flatMap(Self.retryAfterSeconds) {
                details["retryAfterSeconds"] = .integer(Int64(value))
                retry = "; retry after \(value) seconds"
            }
            return OmegaError(.rateLimited, "\(answered) (rate limited)\(retry)\(said)", details: details)
        case 401, 403:
            let credential =
                secret == nil ? "no credential was given and the server wants one" : "it refused the credential"
            return OmegaError(.unauthorized, "\(answered): \(credential)")
        case 300..<400:
            return OmegaError(
                .internalError,
                "\(answered), a redirect: redirects are not followed, so that the credential only goes to the configured server; set the base URL to where the server really is"
            )
        case 500..<600:
            return OmegaError(
                .internalError, "\(answered) (\(attempts) attempt\(attempts == 1 ? "" : "s"), no more retries)\(said)")
        case 404:
            return OmegaError(.internalError, "\(answered) (check the base URL and the model name)\(said)")
        default:
            return OmegaError(.internalError, "\(answered)\(said)")
        }
    }

    /// The ``OmegaError`` for anything thrown while a turn ran.
    private func classify(_ error: any Error, secret: String?) -> OmegaError {
        if Task.isCancelled || error is CancellationError {
            return OmegaError(.cancelled, "the model request was cancelled")
        }
        if let error = error as? OmegaError { return error }
        if let error = error as? HTTPClientError {
            switch error {
            case .cancelled: return OmegaError(.cancelled, "the model request was cancelled")
            case .connectTimeout:
                return OmegaError(
                    .internalError,
                    "cannot connect to the model's server at \(server.hostAndPort): connection timed out")
            case .remoteConnectionClosed:
                return OmegaError(
                    .internalError,
                    "the model's server (\(server.hostAndPort)) closed the connection before it answered")
            default: break
            }
        }
        let text = Self.excerpt("\(error)", redacting: secret)
        if text.lowercased().contains("refused") {
            return OmegaError(
                .internalError, "cannot connect to the model's server at \(server.hostAndPort): connection refused")
        }
        return OmegaError(.internalError, "the request to the model's server at \(server.hostAndPort) failed: \(text)")
    }

    /// Up to `limit` bytes of a body, as text (the rest is not read).
    private static func readBounded(_ body: HTTPClientResponse.Body, limit: Int) async throws -> String {
        var bytes: [UInt8] = []
        for try await buffer in body {
            bytes.append(contentsOf: buffer.readableBytesView.prefix(limit - bytes.count))
            if bytes.count >= limit { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The message of an error answer: `error.message` (OpenAI, Anthropic, llama.cpp), `error` when it is
    /// a string, else the text itself.
    static func serverMessage(_ text: String) -> String {
        guard let json = try? JSONParser().parse(text) else { return text }
        if let message = json["error"]?["message"]?.stringValue { return message }
        if let message = json["error"]?.stringValue { return message }
        if let message = json["message"]?.stringValue { return message }
        return text
    }

    /// `text` with every occurrence of `secret` replaced by `[redacted]`, then cut to `limit` characters
    /// (`…` marks a cut), on one line.
    ///
    /// - Parameters:
    ///   - text: Text that came from the server.
    ///   - secret: The credential, when one was sent.
    ///   - limit: The most characters kept.
    static func excerpt(_ text: String, redacting secret: String?, limit: Int = excerptLength) -> String {
        var text = text
        if let secret, !secret.isEmpty { text = text.replacing(secret, with: "[redacted]") }
        text = String(text.map { $0.isNewline ? " " : $0 }).trimmingSpaces
        return text.count > limit ? String(text.prefix(limit)) + "…" : text
    }

    /// Whole seconds in a `Retry-After` value given in seconds (`30`, `1.5` → 2); nil for a date or junk.
    static func retryAfterSeconds(_ value: String) -> Int? {
        let trimmed = value.trimmingSpaces
        guard !trimmed.isEmpty, trimmed.count <= 12, let seconds = Double(trimmed), seconds.isFinite, seconds >= 0
        else { return nil }
        return Int(seconds.rounded(.up))
    }

    /// `duration` in seconds, for messages.
    private static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return attoseconds == 0 ? "\(seconds)" : "\(Double(seconds) + Double(attoseconds) / 1e18)"
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
