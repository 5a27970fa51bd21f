import JSON
import SystemCalls

/// An error of the jail itself (not of the jailed program, whose failures are verdicts).
///
/// `code` is stable and matches the wire codes in DESIGN.md (`SANDBOX_FAILURE` for anything that
/// kept the jail from starting, `INVALID_INPUT` for a bad spec).
public struct JailError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The stable codes.
    public enum Code: String, Sendable, CaseIterable {
        /// `INVALID_INPUT`.
        case invalidInput = "INVALID_INPUT"
        /// `SANDBOX_FAILURE`.
        case sandboxFailure = "SANDBOX_FAILURE"
    }

    /// The stable error code.
    public let code: Code
    /// A human message naming the step or field and what went wrong.
    public let message: String
    /// The errno behind the failure, when there is one.
    public let errno: Int32?

    /// Creates an error.
    public init(code: Code, message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    /// A spec field that is not what the jail accepts.
    public static func invalid(_ field: String, _ expected: String) -> JailError {
        JailError(code: .invalidInput, message: "\(field): \(expected)")
    }

    /// A system call of the supervisor that failed.
    public static func system(_ step: String, errno: Int32) -> JailError {
        JailError(code: .sandboxFailure, message: "\(step): \(Errno.name(errno))", errno: errno)
    }

    /// A system call of the supervisor that failed: its step and errno (`open /dev/null: ENOENT`).
    static func system(_ error: SystemCallError) -> JailError {
        .system(error.step, errno: error.errno.rawValue)
    }

    /// The error as one line.
    public var description: String { "\(code.rawValue): \(message)" }
}
