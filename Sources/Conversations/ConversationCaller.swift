/// Who makes a request to the conversations API: the user an API key acts for, and the key.
public struct ConversationCaller: Sendable, Hashable {
    /// The user (whose credentials count when they own the conversation).
    public var user: String
    /// The API key's id (`key_…`), recorded on their messages; nil for in-process callers.
    public var keyID: String?

    public init(user: String, keyID: String? = nil) {
        self.user = user
        self.keyID = keyID
    }
}
