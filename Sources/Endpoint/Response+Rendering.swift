import AgentHost
import Hummingbird
import JSON

extension Response {
    /// A JSON body with `status`: `Content-Type: application/json`, never cached.
    static func json(_ value: JSONValue, status: Int, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [
            .contentType: "application/json", .cacheControl: "no-store", .xContentTypeOptions: "nosniff",
        ]
        headers.append(contentsOf: extra)
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: value.jsonText)))
    }

    /// A JSON-RPC error response to an unreadable request (`"id": null`) with `status`.
    static func rpcError(
        status: Int, code: Int64, reason: String, _ message: String, extra: [String: JSONValue] = [:],
        headers: HTTPFields = [:]
    ) -> Response {
        json(
            JSONRPCError.withReason(code, reason, message, extra: extra).response(id: nil), status: status,
            headers: headers)
    }

    /// What the host answered: its message as JSON with its status (202 and no body when there is
    /// none), and `Mcp-Session-Id` when it opened a session.
    static func reply(_ reply: MCPReply) -> Response {
        var headers: HTTPFields = [:]
        if let sessionID = reply.sessionID { headers[.mcpSessionID] = sessionID }
        guard let message = reply.message else {
            return Response(status: .accepted, headers: headers)
        }
        return json(message, status: reply.httpStatus, headers: headers)
    }

    /// An HTML page with `status` and the page headers: no script, no framing, no referrer, no caching.
    static func html(_ page: String, status: HTTPResponse.Status) -> Response {
        let headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8",
            .contentSecurityPolicy:
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
            .xFrameOptions: "DENY", .referrerPolicy: "same-origin", .cacheControl: "no-store",
            .xContentTypeOptions: "nosniff",
        ]
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }
}

/// A header name (`HTTPTypes.HTTPField.Name`, reached through Hummingbird's `HTTPFields`).
typealias HeaderName = HTTPFields.Element.Name

extension HeaderName {
    /// `Mcp-Session-Id` (2025-11-25 sessions).
    static let mcpSessionID = HeaderName("Mcp-Session-Id")!
    /// `X-Frame-Options`.
    static let xFrameOptions = HeaderName("X-Frame-Options")!
    /// `Referrer-Policy`.
    static let referrerPolicy = HeaderName("Referrer-Policy")!
}
