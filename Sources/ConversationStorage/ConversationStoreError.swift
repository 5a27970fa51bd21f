/// A conversation store failure: the database could not be opened, read or written (never a secret in
/// the message).
public struct ConversationStoreError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
