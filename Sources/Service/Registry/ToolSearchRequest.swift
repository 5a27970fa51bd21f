import Search

/// A search of the registry as every surface asks it (CLI flags, MCP `registry_search` arguments,
/// HTTP query parameters).
public struct ToolSearchRequest: Sendable, Hashable {
    /// The words to search for (at most 1,024 bytes, no control characters).
    public var query: String
    /// Results wanted: 1…100 (default 10).
    public var limit: Int
    /// Only tools with one of these bindings (`sandbox_job`, `inproc_safe`, `mcp_remote`, `openapi_proxy`).
    public var bindings: [String]
    /// Only tools at one of these risk levels (`low`, `medium`, `high`).
    public var risks: [String]
    /// Only tools asking for every one of these scopes.
    public var scopes: [String]
    /// Only installed tools.
    public var installed: Bool
    /// Only installed tools signed by a trusted key.
    public var verified: Bool
    /// Only tools that can run now: installed, served here (`sandbox_job`), circuit closed, and every
    /// required environment variable in the vault.
    public var runnable: Bool
    /// The user whose pins and credentials count (nil: the local user).
    public var user: String?

    /// A request.
    public init(
        query: String, limit: Int = 10, bindings: [String] = [], risks: [String] = [], scopes: [String] = [],
        installed: Bool = false, verified: Bool = false, runnable: Bool = false, user: String? = nil
    ) {
        self.query = query
        self.limit = limit
        self.bindings = bindings
        self.risks = risks
        self.scopes = scopes
        self.installed = installed
        self.verified = verified
        self.runnable = runnable
        self.user = user
    }
}
