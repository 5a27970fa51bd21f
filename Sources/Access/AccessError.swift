/// A failure of the access store, with a stable ``code`` matching the wire codes of DESIGN §5.
///
/// Messages never hold a secret, a presented token, or a hint whether a presented key id exists:
/// every failed authentication is the one ``unauthorized`` value.
public struct AccessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stable codes.
    public enum Code: String, Sendable, CaseIterable {
        /// `UNAUTHORIZED`: the bearer token is malformed, unknown, wrong or revoked.
        case unauthorized = "UNAUTHORIZED"
        /// `INVALID_INPUT`: a name, user, key id or nonce is malformed, or a name is taken (see ``field``).
        case invalidInput = "INVALID_INPUT"
        /// `INTERNAL_ERROR`: the database cannot be opened, read or written.
        case internalError = "INTERNAL_ERROR"
    }

    /// The stable code.
    public let code: Code
    /// One human sentence, secret-free.
    public let message: String
    /// The input field the error is about (`name`, `user`, `id`, `nonce`), when about one.
    public let field: String?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: The stable code.
    ///   - message: What happened (never a secret).
    ///   - field: The input field at fault, if any.
    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    /// The one error of every failed authentication: `UNAUTHORIZED`, "invalid or revoked API key",
    /// whatever the cause (malformed token, unknown id, wrong secret, revoked key).
    public static let unauthorized = AccessError(.unauthorized, "invalid or revoked API key")

    /// `CODE: message` (with `(field)` when about one).
    public var description: String {
        "\(code.rawValue): \(message)" + (field.map { " (\($0))" } ?? "")
    }
}
