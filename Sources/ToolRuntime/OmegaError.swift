import JSON
import ToolPackage

/// A failure or a pause of a tool call, with the stable wire code of DESIGN §5.
///
/// Its ``json`` is the error object every surface returns:
/// `{"success": false, "error": message, "details": {"code": …, …}}`. For `MISSING_ENV_VARS` that is
/// exactly the shape of DESIGN §5 (`missingVars` and `hint`). Messages and details never hold a
/// secret value (the executor redacts them before they leave it).
public struct OmegaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The wire codes.
    public enum Code: String, Sendable, CaseIterable {
        /// The input does not match the tool's input schema (or names undeclared variables).
        case invalidInput = "INVALID_INPUT"
        /// The tool printed something that is not JSON or does not match its output schema.
        case invalidOutput = "INVALID_OUTPUT"
        /// A scope is denied.
        case policyDenied = "POLICY_DENIED"
        /// A human must approve this exact call (a pause).
        case approvalRequired = "APPROVAL_REQUIRED"
        /// Required environment variables are missing (a pause).
        case missingEnvVars = "MISSING_ENV_VARS"
        /// No tool by that name, path or version.
        case toolNotFound = "TOOL_NOT_FOUND"
        /// The tool cannot be run now: its circuit is open, it was yanked, or its binding is not served here.
        case toolUnavailable = "TOOL_UNAVAILABLE"
        /// The jail could not run the tool.
        case sandboxFailure = "SANDBOX_FAILURE"
        /// The tool ran past its time limit.
        case timeout = "TIMEOUT"
        /// The run was cancelled.
        case cancelled = "CANCELLED"
        /// Too many calls are waiting.
        case rateLimited = "RATE_LIMITED"
        /// The caller is not allowed to do this.
        case unauthorized = "UNAUTHORIZED"
        /// The tool exited non-zero, was killed by a signal, or hit its memory or output limit.
        case toolFailed = "TOOL_FAILED"
        /// The package or its manifest is invalid (or its signature does not verify).
        case invalidManifest = "INVALID_MANIFEST"
        /// The run cannot do what was asked in its current state (resume a finished run, …).
        case invalidState = "INVALID_STATE"
        /// The run store, the vault or the appliance's files failed.
        case internalError = "INTERNAL_ERROR"
        /// No conversation, message, run, plan or route by that id or path (the endpoint's resources;
        /// an unknown tool is `TOOL_NOT_FOUND`).
        case notFound = "NOT_FOUND"
        /// A request body over the endpoint's limit.
        case payloadTooLarge = "PAYLOAD_TOO_LARGE"
    }

    /// The stable code.
    public let code: Code
    /// One human sentence, secret-free.
    public let message: String
    /// Fields beside `code` in `details` (paths, missing variables, the verdict…).
    public let details: [String: JSONValue]

    /// An error.
    ///
    /// - Parameters:
    ///   - code: The stable code.
    ///   - message: What happened.
    ///   - details: Extra fields of `details`.
    public init(_ code: Code, _ message: String, details: [String: JSONValue] = [:]) {
        self.code = code
        self.message = message
        self.details = details
    }

    /// The `MISSING_ENV_VARS` pause of DESIGN §5, exactly.
    ///
    /// - Parameter missing: The missing variables (name, description).
    public static func missingEnvVars(_ missing: [(name: String, description: String)]) -> OmegaError {
        OmegaError(
            .missingEnvVars, "Missing required environment variables",
            details: [
                "missingVars": .array(
                    missing.map { ["name": .string($0.name), "description": .string($0.description)] }),
                "hint": "Provide these variables in the 'env' field of your request",
            ])
    }

    /// Whether this is a pause (the run waits and can be resumed) rather than a failure.
    public var isPause: Bool { code == .missingEnvVars || code == .approvalRequired }

    /// `{"success": false, "error": message, "details": {"code": code, …details}}`.
    public var json: JSONValue {
        var inner = details
        inner["code"] = .string(code.rawValue)
        return ["success": false, "error": .string(message), "details": .object(inner)]
    }

    /// Rebuilds an error from its ``json`` (as stored with a run); nil when it is not one.
    public init?(json: JSONValue) {
        guard case .object(var details)? = json["details"], let raw = details.removeValue(forKey: "code")?.stringValue,
            let code = Code(rawValue: raw), let message = json["error"]?.stringValue
        else { return nil }
        self.init(code, message, details: details)
    }

    /// `CODE: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
