/// Who is calling the host: the principal states are bound to and approvals are recorded as, and the
/// user whose vault scope and pins apply.
public struct MCPCaller: Sendable, Hashable {
    /// `key:<key id>` over HTTP, `stdio:<user>` on stdio.
    public var principal: String
    /// The user the caller acts for.
    public var user: String

    /// A caller.
    public init(principal: String, user: String) {
        self.principal = principal
        self.user = user
    }

    /// The local user on stdio (the person who started `omega-exec mcp`).
    public static func stdio(user: String = "local") -> MCPCaller {
        MCPCaller(principal: "stdio:\(user)", user: user)
    }
}
