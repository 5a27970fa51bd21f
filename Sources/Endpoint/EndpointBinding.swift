import AgentHost

/// The endpoint once its socket is bound: the host it serves, the URL it is published at, and the
/// origins it accepts (which depend on the real port).
struct EndpointBinding: Sendable {
    /// The MCP host.
    let host: MCPHost
    /// The public base URL (`http://127.0.0.1:8080`), where the credential page lives.
    let publicURL: String
    /// The accepted `Origin`s.
    let origins: OriginPolicy
    /// What the `/api` routes stand on (nil: the server serves MCP and the credential page only).
    let api: APIServices?
}
