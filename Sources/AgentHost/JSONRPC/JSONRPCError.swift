import JSON

/// A JSON-RPC 2.0 error object with the codes JSON-RPC and MCP define.
///
/// `message` is one human sentence and `data` carries machine-readable detail (for host errors a
/// stable `reason`, for tool-level failures never: those are tool results with `isError`). Neither
/// ever holds a secret.
public struct JSONRPCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// -32700: the frame is not JSON.
    public static let parseError: Int64 = -32700
    /// -32600: the frame is JSON but not a JSON-RPC 2.0 request or notification (or too large).
    public static let invalidRequest: Int64 = -32600
    /// -32601: no such method.
    public static let methodNotFound: Int64 = -32601
    /// -32602: the params are missing, malformed, or (for a retried call) carry a bad `requestState`.
    public static let invalidParams: Int64 = -32602
    /// -32603: the host failed.
    public static let internalError: Int64 = -32603
    /// -32020: an HTTP header disagrees with the body (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`).
    public static let headerMismatch: Int64 = -32020
    /// -32022: the protocol version is not served here (`data.supported` lists those that are).
    public static let unsupportedProtocolVersion: Int64 = -32022

    /// The code.
    public var code: Int64
    /// What went wrong, in one sentence.
    public var message: String
    /// Detail for programs (`{"reason": …}`, `{"supported": […], "requested": …}`).
    public var data: JSONValue?

    /// An error.
    public init(_ code: Int64, _ message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    /// An error whose `data` is `{"reason": reason}` plus `extra`, so clients can branch on a stable word.
    public static func withReason(
        _ code: Int64, _ reason: String, _ message: String, extra: [String: JSONValue] = [:]
    ) -> JSONRPCError {
        var data = extra
        data["reason"] = .string(reason)
        return JSONRPCError(code, message, data: .object(data))
    }

    /// `-32600` with reason `frame_too_large`: a frame of `bytes` over the `limit` (refused unread).
    public static func frameTooLarge(bytes: Int, limit: Int) -> JSONRPCError {
        .withReason(
            invalidRequest, "frame_too_large", "the frame is \(bytes) bytes; at most \(limit) are read",
            extra: ["limit": .integer(Int64(limit))])
    }

    /// The error object.
    public var json: JSONValue {
        var members: [String: JSONValue] = ["code": .integer(code), "message": .string(message)]
        if let data { members["data"] = data }
        return .object(members)
    }

    /// The whole error response for `id` (`null` when the request's id could not be read).
    public func response(id: JSONRPCID?) -> JSONValue {
        ["jsonrpc": "2.0", "id": id?.json ?? .null, "error": json]
    }

    /// The HTTP status the Streamable HTTP transport answers with when this error is the whole reply:
    /// 400 for frames and envelopes the host refuses, 404 for an unknown method, 200 otherwise.
    public var httpStatus: Int {
        switch code {
        case Self.parseError, Self.invalidRequest, Self.invalidParams, Self.headerMismatch,
            Self.unsupportedProtocolVersion, -32021:
            return 400
        case Self.methodNotFound: return 404
        default: return 200
        }
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
