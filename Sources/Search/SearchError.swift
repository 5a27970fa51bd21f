/// Why a search or an index file was refused.
public struct SearchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable {
        /// The query is empty, too long, or not text.
        case invalidQuery = "INVALID_QUERY"
        /// The index file is missing, unreadable, of another format, or corrupt.
        case indexUnreadable = "INDEX_UNREADABLE"
        /// The index file could not be written.
        case indexUnwritable = "INDEX_UNWRITABLE"
    }

    /// The kind.
    public var code: Code
    /// What went wrong, for a person (names the field or file).
    public var message: String

    /// An error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `CODE: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
