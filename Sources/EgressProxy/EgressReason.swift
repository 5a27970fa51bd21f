/// Why a connection was refused or how an allowed one ended: the `reason` of its record, and for a
/// refusal the response the tool gets.
enum EgressReason: String, Sendable {
    case notGranted = "not_granted"
    case ipLiteral = "ip_literal"
    case addressRefused = "address_refused"
    case resolveFailed = "resolve_failed"
    case connectFailed = "connect_failed"
    case connectionCap = "connection_cap"
    case byteCap = "byte_cap"
    case badRequest = "bad_request"
    case headTooLarge = "head_too_large"
    case idleTimeout = "idle_timeout"
    case runEnded = "run_ended"
    case closed

    /// The status line's code and phrase when this reason refuses a request.
    var status: (code: Int, phrase: String) {
        switch self {
        case .notGranted, .ipLiteral, .addressRefused, .byteCap: return (403, "Forbidden")
        case .resolveFailed, .connectFailed: return (502, "Bad Gateway")
        case .connectionCap: return (429, "Too Many Requests")
        case .headTooLarge: return (431, "Request Header Fields Too Large")
        case .idleTimeout: return (408, "Request Timeout")
        case .badRequest, .runEnded, .closed: return (400, "Bad Request")
        }
    }

    /// The refusal response, written raw: status line, a fixed set of headers (none taken from the
    /// request) and `body` as a single line.
    func response(body: String) -> String {
        let line = body + "\n"
        return "HTTP/1.1 \(status.code) \(status.phrase)\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n"
            + "Connection: close\r\n"
            + "X-Omega-Egress: \(rawValue)\r\n"
            + "Content-Length: \(line.utf8.count)\r\n"
            + "\r\n" + line
    }
}
