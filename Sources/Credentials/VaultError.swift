import JSON

/// A failure of the credential vault. Messages name files and fields, never a secret value.
public struct VaultError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stable codes.
    public enum Code: String, Sendable, CaseIterable {
        /// `INVALID_INPUT`.
        case invalidInput = "INVALID_INPUT"
        /// `VAULT_CORRUPT`.
        case corrupt = "VAULT_CORRUPT"
        /// `VAULT_IO`.
        case io = "VAULT_IO"
        /// `VAULT_KEY_INVALID`.
        case keyInvalid = "VAULT_KEY_INVALID"
        /// `VAULT_KEY_UNSAFE`.
        case keyUnsafe = "VAULT_KEY_UNSAFE"
    }

    /// Stable code: `VAULT_KEY_INVALID`, `VAULT_KEY_UNSAFE`, `VAULT_CORRUPT`, `VAULT_IO`, `INVALID_INPUT`.
    public let code: Code
    /// What went wrong.
    public let message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// `CODE: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
