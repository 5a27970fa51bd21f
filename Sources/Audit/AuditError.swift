/// A failure of the audit log, with a stable ``code``: what a caller may match on (never the message).
///
/// Messages never hold a field's value or the key; they name the field, the file and the step.
public struct AuditError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stable codes.
    public enum Code: String, Sendable, CaseIterable {
        /// `INVALID_INPUT`: the record cannot be written as given: a forbidden field name (see
        /// ``AuditLog/forbiddenFieldNames``), a line over ``AuditLog/maximumLineBytes``, an empty user,
        /// or a key that is not 32 bytes (see ``field``).
        case invalidInput = "INVALID_INPUT"
        /// `AUDIT_CHAIN_BROKEN`: the file and its head disagree in a way no interrupted append explains
        /// (records deleted, the head altered or removed, the last line not a record). Appends are
        /// refused rather than built on a chain nobody can vouch for; `verify` says what is wrong.
        case chainBroken = "AUDIT_CHAIN_BROKEN"
        /// `INTERNAL_ERROR`: a file of the log cannot be created, read, written or flushed.
        case internalError = "INTERNAL_ERROR"
    }

    /// The stable code.
    public let code: Code
    /// One human sentence (the step and errno for I/O failures); never a field's value.
    public let message: String
    /// The input at fault (`fields.<name>`, `record`, `actor.user`, `key`), when about one.
    public let field: String?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: The stable code.
    ///   - message: What happened (never a secret or a field's value).
    ///   - field: The input at fault, if any.
    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    /// `CODE: message` (with `(field)` when about one).
    public var description: String {
        "\(code.rawValue): \(message)" + (field.map { " (\($0))" } ?? "")
    }
}
