import JSON

/// A failure of the credential vault. Messages name files and fields, never a secret value.
public struct VaultError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable code: `VAULT_KEY_INVALID`, `VAULT_KEY_UNSAFE`, `VAULT_CORRUPT`, `VAULT_IO`, `INVALID_INPUT`.
    public let code: String
    /// What went wrong.
    public let message: String

    /// Creates an error.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// `CODE: message`.
    public var description: String { "\(code): \(message)" }
}
