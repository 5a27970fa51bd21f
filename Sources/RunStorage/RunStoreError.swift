/// A failure of the run store, with a stable code.
///
/// Callers match on ``code`` (`error.code == .invalidTransition`), never on the message.
public struct RunStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stable codes.
    public enum Code: String, Sendable, CaseIterable {
        /// No run has that id.
        case runNotFound = "RUN_NOT_FOUND"
        /// A run with that id exists already.
        case runExists = "RUN_EXISTS"
        /// The run is final: its timeline is closed.
        case runFinal = "RUN_FINAL"
        /// The life cycle forbids the transition (or the run was not in the expected status).
        case invalidTransition = "INVALID_TRANSITION"
        /// The database failed (I/O, corruption, a lock held too long).
        case storeFailure = "STORE_FAILURE"
    }

    /// The stable code.
    public let code: Code
    /// What went wrong (no secret: inputs and event data are redacted before they are stored).
    public let message: String

    /// An error with `code` and `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `CODE: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
