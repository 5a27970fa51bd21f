import JSON

/// Told of what the audit log records about conversations: each tool call's end, and each access to a
/// user's credentials (names only, never values).
public protocol ConversationObserver: Sendable {
    /// A tool call ended (or paused): who asked, whose credentials, the tool, the run and its status.
    func toolCallEnded(conversationID: String, caller: String, owner: String, fields: [String: JSONValue])
    /// Credentials were given by `caller` for `owner`'s paused message: stored in `owner`'s vault, or
    /// (`saved` false) handed to the paused run only.
    func credentialsStored(conversationID: String, caller: String, owner: String, names: [String], saved: Bool)
    /// A model read `owner`'s API key from the vault (its name).
    func modelKeyRead(conversationID: String, owner: String, name: String)
}
