import AgentHost
import Hummingbird
import JSON
import Logging
import Service
import ToolRuntime

/// `POST /mcp`: MCP's Streamable HTTP transport (2026-07-28 and 2025-11-25) over the host.
///
/// Parsing and rendering only: the checks an HTTP request needs before it is a frame (API key,
/// `Content-Type`, `Accept`, size), then one `host.receive`, then the reply as JSON or as Server-Sent
/// Events. A `tools/call` from a client that accepts `text/event-stream` streams (progress and
/// elicitation requests as they happen, the result last) unless the host answers it at once (a
/// refusal keeps its own status: 400, 404 for an unknown session). While a call runs, a closed
/// connection cancels it (and kills its jail).
struct MCPRoute: Sendable {
    /// How long a streamed call waits before its response commits to SSE (and how often a keepalive
    /// comment probes the connection after that).
    static let keepaliveInterval: Duration = .milliseconds(40)

    let logger: Logger

    /// Answers one `POST /mcp`.
    func respond(to request: Request, binding: EndpointBinding) async -> Response {
        var request = request
        let host = binding.host
        let caller: MCPCaller
        switch authenticate(request.headers, access: host.access) {
        case .success(let found): caller = found
        case .failure(let refusal): return refusal.response
        }
        guard let contentType = request.headers[.contentType], MediaType.essence(of: contentType) == "application/json"
        else {
            return .rpcError(
                status: 415, code: JSONRPCError.invalidRequest, reason: "unsupported_media_type",
                "POST /mcp takes one JSON-RPC message with Content-Type: application/json")
        }
        let accept = request.headers[values: .accept].joined(separator: ", ")
        let acceptsJSON = MediaType.accepts(accept, "application/json")
        let acceptsEvents = MediaType.accepts(accept, "text/event-stream")
        guard acceptsJSON || acceptsEvents else {
            return .rpcError(
                status: 406, code: JSONRPCError.invalidRequest, reason: "not_acceptable",
                "Accept must allow application/json or text/event-stream")
        }
        let bytes: [UInt8]
        do {
            switch try await BoundedBody.read(request, limit: host.configuration.maximumFrameBytes) {
            case .complete(let body): bytes = body
            case .tooLarge(let seen):
                // The rest is discarded as it arrives, never held in memory.
                return .reply(host.oversizedFrame(bytes: seen))
            }
        } catch {
            return .rpcError(
                status: 400, code: JSONRPCError.invalidRequest, reason: "incomplete_body",
                "the request body ended early")
        }

        // The body, read, stands in for the stream (Hummingbird keeps the connection's part stream
        // behind it, so the inbound-close handler below still sees the connection close).
        request.body = RequestBody(buffer: ByteBuffer(bytes: bytes))
        let transport = MCPPeer.Transport.http(headers: Self.forwardedHeaders(request.headers))
        guard
            case .success(let message) = JSONRPCMessage.decode(
                bytes, maximumBytes: host.configuration.maximumFrameBytes)
        else {
            // Unreadable: the host words the refusal (-32700, -32600).
            let reply = await host.receive(bytes, from: MCPPeer(caller: caller, transport: transport, outbound: nil))
            return render(reply, asEvents: !acceptsJSON)
        }
        guard case .request(_, "tools/call", _) = message else {
            let reply = await host.receive(message, from: MCPPeer(caller: caller, transport: transport, outbound: nil))
            return render(reply, asEvents: !acceptsJSON)
        }
        guard acceptsEvents else {
            // A call answered as one JSON body: nothing can precede the result, but a closed
            // connection still cancels the run.
            let peer = MCPPeer(caller: caller, transport: transport, outbound: nil)
            let reply = try? await request.body.consumeWithInboundCloseHandler { _ in
                await host.receive(message, from: peer)
            } onInboundClosed: {
                host.cancelAll(of: peer)
            }
            var response = render(reply ?? MCPReply(message: nil, httpStatus: 202), asEvents: false)
            response.headers[.connection] = "close"  // the close watch ends the connection's request stream
            return response
        }
        return await stream(
            message, caller: caller, transport: transport, request: request, host: host, acceptsJSON: acceptsJSON)
    }

    // MARK: Streaming

    /// Runs a `tools/call` with an SSE channel as its outbound way, and answers with the stream (or,
    /// when the host answered at once, with that reply alone).
    private func stream(
        _ message: JSONRPCMessage, caller: MCPCaller, transport: MCPPeer.Transport, request: Request, host: MCPHost,
        acceptsJSON: Bool
    ) async -> Response {
        let channel = EventStreamChannel()
        let peer = MCPPeer(caller: caller, transport: transport, outbound: channel)
        Task {
            let reply = await host.receive(message, from: peer)
            channel.finish(with: reply)
        }
        if let reply = await channel.immediateReply(within: Self.keepaliveInterval) {
            return render(reply, asEvents: !acceptsJSON)
        }
        let logger = self.logger
        let body = ResponseBody { writer in
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: Self.keepaliveInterval)
                    channel.keepalive()
                }
            }
            defer { ticker.cancel() }
            var clientLeft = false
            _ = try? await request.body.consumeWithInboundCloseHandler { _ in
                while let item = await channel.next() {
                    let bytes: ByteBuffer
                    var acknowledgement: CheckedContinuation<Bool, Never>?
                    var last = false
                    switch item {
                    case .message(let message, let waiting):
                        bytes = Self.event(message)
                        acknowledgement = waiting
                    case .keepalive:
                        bytes = ByteBuffer(string: ": keepalive\n\n")
                    case .reply(let reply):
                        guard let message = reply.message else { return }
                        bytes = Self.event(message)
                        last = true
                    }
                    do {
                        try await writer.write(bytes)
                        acknowledgement?.resume(returning: true)
                    } catch {
                        acknowledgement?.resume(returning: false)
                        clientLeft = true
                        if channel.close() { host.cancelAll(of: peer) }
                        return
                    }
                    if last { return }
                }
            } onInboundClosed: {
                if channel.close() {
                    logger.debug("client closed the stream; cancelling its call")
                    host.cancelAll(of: peer)
                }
            }
            channel.close()
            if !clientLeft { try await writer.finish(nil) }
        }
        // The close watch ends the connection's request stream: the connection closes after the stream.
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream", .cacheControl: "no-store", .xContentTypeOptions: "nosniff",
                .connection: "close",
            ],
            body: body)
    }

    /// One SSE event carrying a JSON-RPC message (compact JSON is one line).
    static func event(_ message: JSONValue) -> ByteBuffer {
        ByteBuffer(string: "event: message\ndata: " + message.jsonText + "\n\n")
    }

    /// A reply known in full: JSON, or (for a client that accepts only SSE) a one-event stream.
    private func render(_ reply: MCPReply, asEvents: Bool) -> Response {
        guard asEvents, let message = reply.message else { return .reply(reply) }
        var headers: HTTPFields = [
            .contentType: "text/event-stream", .cacheControl: "no-store", .xContentTypeOptions: "nosniff",
        ]
        if let sessionID = reply.sessionID { headers[.mcpSessionID] = sessionID }
        return Response(
            status: HTTPResponse.Status(code: reply.httpStatus), headers: headers,
            body: ResponseBody(byteBuffer: Self.event(message)))
    }

    // MARK: Parsing

    /// A response that refuses the request.
    struct Refusal: Error {
        let response: Response
    }

    /// The caller `Authorization: Bearer` authenticates (`key:<id>`, acting for the key's user), or the
    /// 401 (never echoing what was sent).
    private func authenticate(_ headers: HTTPFields, access: KeyService) -> Result<MCPCaller, Refusal> {
        let refusal: OmegaError
        switch BearerToken.parse(headers) {
        case .failure(.missing):
            refusal = OmegaError(
                .unauthorized, "an API key is required: send Authorization: Bearer <key> (omega-exec keys create)")
        case .failure(.malformed):
            refusal = OmegaError(.unauthorized, "the Authorization header must be one Bearer <key>")
        case .success(let token):
            do throws(OmegaError) {
                let key = try access.authenticate(bearer: token)
                return .success(MCPCaller(principal: "key:" + key.id, user: key.user))
            } catch {
                refusal = error
            }
        }
        guard refusal.code == .unauthorized else {
            logger.error("cannot check an API key", metadata: ["error": "\(refusal.message)"])
            return .failure(
                Refusal(
                    response: .rpcError(
                        status: refusal.code.httpStatus, code: JSONRPCError.internalError, reason: "internal_error",
                        refusal.message, extra: ["error": refusal.json])))
        }
        logger.info("refused a request without a valid API key")
        return .failure(
            Refusal(
                response: .rpcError(
                    status: 401, code: JSONRPCError.invalidRequest, reason: "unauthorized", refusal.message,
                    extra: ["error": refusal.json], headers: [.wwwAuthenticate: "Bearer"])))
    }

    /// The headers the host reads (`mcp-protocol-version`, `mcp-session-id`, `mcp-method`, `mcp-name`…),
    /// names lowercased, repeated ones joined; never `Authorization` or `Cookie`.
    static func forwardedHeaders(_ headers: HTTPFields) -> [String: String] {
        var result: [String: String] = [:]
        for field in headers {
            let name = field.name.canonicalName
            guard name != "authorization", name != "cookie", name != "proxy-authorization" else { continue }
            if let existing = result[name] {
                result[name] = existing + ", " + field.value
            } else {
                result[name] = field.value
            }
        }
        return result
    }
}
