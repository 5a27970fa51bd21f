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

extension Response {
    /// A file to save, never to render: `application/octet-stream`, `Content-Disposition: attachment`
    /// with the last component of `name` (ASCII letters, digits, `.`, `-`, `_` kept, others `_`; the
    /// exact name in `filename*`), a sandboxing CSP and `nosniff`, never cached.
    static func attachment(_ bytes: [UInt8], name: String) -> Response {
        let base = String(name.split(separator: "/").last ?? "artifact")
        let plain = String(
            base.unicodeScalars.map { scalar -> Character in
                scalar.isASCII
                    && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                        || ".-_".unicodeScalars.contains(scalar))
                    ? Character(scalar) : "_"
            })
        var exact = ""
        for byte in base.utf8 {
            let keep =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x2D || byte == 0x5F
            exact += keep ? String(UnicodeScalar(byte)) : "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
        }
        let headers: HTTPFields = [
            .contentType: "application/octet-stream",
            .contentDisposition: "attachment; filename=\"\(plain)\"; filename*=UTF-8''\(exact)",
            .contentSecurityPolicy: "default-src 'none'; sandbox", .xContentTypeOptions: "nosniff",
            .cacheControl: "no-store",
        ]
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension String {
    /// The text with `0`s in front up to `width` characters.
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
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
