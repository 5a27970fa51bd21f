/// The MCP revisions the host serves and the names the protocol fixes.
public enum MCPProtocol {
    /// Revisions served natively, without a handshake (`_meta` on every request).
    public static let modernVersions = ["2026-07-28"]
    /// Revisions served through `initialize`, newest first.
    public static let handshakeVersions = ["2025-11-25", "2025-06-18", "2025-03-26"]
    /// Every revision served.
    public static var supportedVersions: [String] { modernVersions + handshakeVersions }

    /// `_meta` key of the protocol version (required on every 2026-07-28 request).
    public static let protocolVersionKey = "io.modelcontextprotocol/protocolVersion"
    /// `_meta` key of the client's capabilities (required on every 2026-07-28 request).
    public static let clientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
    /// `_meta` key of the client's name and version.
    public static let clientInfoKey = "io.modelcontextprotocol/clientInfo"
    /// `_meta` key of the server's name and version in results.
    public static let serverInfoKey = "io.modelcontextprotocol/serverInfo"
    /// `_meta` key of a run's id in tool results.
    public static let runIDKey = "dev.omega-exec/runId"
    /// `_meta` key of the jail's verdict in tool results.
    public static let verdictKey = "dev.omega-exec/verdict"
}
