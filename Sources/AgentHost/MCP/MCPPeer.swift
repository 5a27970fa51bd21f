import Foundation
import JSON
import Synchronization

/// One client connection as the host sees it: who it is, how it reached the host, and where
/// messages to it go. A stdio process has one peer for its life; the HTTP transport makes one per
/// `POST /mcp` (a legacy session's state is kept by the host, keyed by `Mcp-Session-Id`).
public final class MCPPeer: Sendable {
    /// How the peer reached the host.
    public enum Transport: Sendable {
        /// Newline-delimited JSON on stdin/stdout.
        case stdio
        /// Streamable HTTP; header names lowercased.
        case http(headers: [String: String])
    }

    /// A unique id (in-flight calls are keyed by it and the request id).
    public let id: String
    /// The caller.
    public let caller: MCPCaller
    /// The transport.
    public let transport: Transport
    /// Where notifications and requests go; nil when the reply is a plain JSON body (nothing can
    /// precede it, so no progress and no inline elicitation).
    public let outbound: (any MCPOutbound)?
    /// The 2025-11-25 session a stdio peer opened with `initialize`.
    let stdioSession = Mutex<LegacySession?>(nil)

    /// A peer.
    public init(caller: MCPCaller, transport: Transport, outbound: (any MCPOutbound)?) {
        id = UUID().uuidString
        self.caller = caller
        self.transport = transport
        self.outbound = outbound
    }

    /// Where the peer's calls are tracked for `notifications/cancelled`: the connection on stdio, the
    /// session over HTTP for 2025-11-25 clients (they post the cancellation separately, with the
    /// session's id), and the request itself for 2026-07-28 HTTP clients (they cancel by closing the
    /// response stream).
    var callScope: String {
        if let session = headers?["mcp-session-id"] { return "session:" + session + "|" + caller.principal }
        return id
    }

    /// The HTTP headers (lowercased names), nil on stdio.
    var headers: [String: String]? {
        if case .http(let headers) = transport { return headers }
        return nil
    }
}

/// What `initialize` settled for a 2025-11-25 client: the version and its capabilities.
struct LegacySession: Sendable {
    /// The negotiated version.
    var version: String
    /// The client's capabilities, as it declared them.
    var capabilities: JSONValue
    /// The principal that opened it (a session id never serves another caller).
    var principal: String
    /// When it was last used, in milliseconds since the epoch.
    var lastUsedMs: Int64 = 0
}
