import JSON

/// The way from the host to one client, for what it sends before (or instead of) a reply:
/// notifications (`notifications/progress`) and requests (`elicitation/create` to older clients).
public protocol MCPOutbound: Sendable {
    /// Sends one message; false when the channel is closed (the client went away), which the host
    /// treats as a cancellation of the call it was sent for.
    func send(_ message: JSONValue) async -> Bool
}
