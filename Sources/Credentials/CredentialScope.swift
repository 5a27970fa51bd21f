/// Whom a stored credential is for. Resolution prefers the narrowest: tool, then user, then global.
public enum CredentialScope: Hashable, Sendable, CustomStringConvertible {
    /// Every tool and user.
    case global
    /// One user of the appliance.
    case user(String)
    /// One tool (by id), for every user.
    case tool(String)
    /// The appliance's own secrets (the MCP request-state key): never resolved for a tool run.
    case system

    /// `global`, `user:<name>` or `tool:<id>` (the form used on the command line and in the vault).
    public var description: String {
        switch self {
        case .global: return "global"
        case .user(let name): return "user:\(name)"
        case .tool(let id): return "tool:\(id)"
        case .system: return "system"
        }
    }

    /// Parses the `description` form; nil when malformed.
    public init?(parsing text: String) {
        if text == "global" {
            self = .global
        } else if text == "system" {
            self = .system
        } else if text.hasPrefix("user:"), text.count > 5 {
            self = .user(String(text.dropFirst(5)))
        } else if text.hasPrefix("tool:"), text.count > 5 {
            self = .tool(String(text.dropFirst(5)))
        } else {
            return nil
        }
    }
}
