/// What happened to one connection a tool made through the egress proxy, reported once when it ends
/// (or is refused) and recorded as a run event.
///
/// It holds the request line's target and the outcome only: never a header, a body or a byte of the
/// relayed traffic.
public struct EgressConnectionRecord: Sendable, Equatable, Codable {
    /// The request's method (`CONNECT`, `GET`, …); empty when no request head was read.
    public var method: String
    /// The host as the tool asked for it, lowercased (at most 255 characters); empty when unreadable.
    public var host: String
    /// The port asked for (80 for an absolute `http://` URL without one); 0 when unreadable.
    public var port: Int
    /// The address connected to, or the one refused, in canonical text (RFC 5952 for IPv6).
    public var address: String?
    /// `allowed` (a tunnel or a forwarded request was set up) or `refused`.
    public var verdict: String
    /// Why it was refused: `not_granted`, `ip_literal`, `address_refused`, `resolve_failed`,
    /// `connect_failed`, `connection_cap`, `byte_cap`, `bad_request`, `head_too_large`, `idle_timeout`
    /// (no complete request head in time), `run_ended` (the run ended first). How an allowed one ended:
    /// `closed`, `byte_cap`, `idle_timeout`, `run_ended`.
    public var reason: String
    /// The ``Egress/AddressPolicy/Refusal`` raw value when `reason` is `address_refused`.
    public var addressRefusal: String?
    /// Bytes relayed from the tool to the server (for plain HTTP, the request as sent upstream).
    public var bytesUp: UInt64
    /// Bytes relayed from the server to the tool.
    public var bytesDown: UInt64
    /// Milliseconds from accepting the connection to its end.
    public var durationMs: Int64

    /// A record as given.
    public init(
        method: String, host: String, port: Int, address: String?, verdict: String, reason: String,
        addressRefusal: String?, bytesUp: UInt64, bytesDown: UInt64, durationMs: Int64
    ) {
        self.method = method
        self.host = host
        self.port = port
        self.address = address
        self.verdict = verdict
        self.reason = reason
        self.addressRefusal = addressRefusal
        self.bytesUp = bytesUp
        self.bytesDown = bytesDown
        self.durationMs = durationMs
    }
}
