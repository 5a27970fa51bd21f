import JSON

/// What the host answers to one frame: the message to write (nil for notifications, responses and
/// cancelled calls), the HTTP status the Streamable HTTP transport uses, and a new session's id.
public struct MCPReply: Sendable, Error {
    /// The JSON-RPC response, or nil when nothing is written back.
    public var message: JSONValue?
    /// 200 for a response, 202 when there is none, 400/404 for refused frames and unknown sessions.
    public var httpStatus: Int
    /// Set when `initialize` opened a 2025-11-25 session (the `Mcp-Session-Id` header to return).
    public var sessionID: String?

    /// A reply.
    public init(message: JSONValue?, httpStatus: Int, sessionID: String? = nil) {
        self.message = message
        self.httpStatus = httpStatus
        self.sessionID = sessionID
    }

    /// No response (a notification or a response was received).
    static let accepted = MCPReply(message: nil, httpStatus: 202)

    /// The error response to `id`.
    static func error(_ error: JSONRPCError, id: JSONRPCID?, status: Int? = nil) -> MCPReply {
        MCPReply(message: error.response(id: id), httpStatus: status ?? error.httpStatus)
    }
}
