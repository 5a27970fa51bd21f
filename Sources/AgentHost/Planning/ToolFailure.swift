import JSON
import ToolRuntime

/// A tool call that failed, as flow D asks for alternatives to it: which tool, and how it failed.
public struct ToolFailure: Sendable, Hashable {
    /// The failed tool's id (`weather.forecast`).
    public var toolId: String
    /// The version that failed (nil: the version the registry stands at).
    public var version: String?
    /// How it failed: `TOOL_FAILED`, `TIMEOUT`, `MISSING_ENV_VARS`, `TOOL_UNAVAILABLE`, …
    public var code: OmegaError.Code
    /// The error's message, when known (a model adapter may show it to the model; secret-free, as every
    /// ``OmegaError`` message).
    public var message: String?

    /// A failure.
    ///
    /// - Parameters:
    ///   - toolId: The failed tool's id.
    ///   - version: The version that failed, when known.
    ///   - code: The wire code it failed with.
    ///   - message: The error's message, when known.
    public init(toolId: String, version: String? = nil, code: OmegaError.Code, message: String? = nil) {
        self.toolId = toolId
        self.version = version
        self.code = code
        self.message = message
    }

    /// The failure of `error` for the tool `toolId` (its code and message).
    public init(toolId: String, version: String? = nil, error: OmegaError) {
        self.init(toolId: toolId, version: version, code: error.code, message: error.message)
    }

    /// `{"toolId", "version", "code", "message"}` (`version` and `message` only when known).
    public var json: JSONValue {
        var members: [String: JSONValue] = ["toolId": .string(toolId), "code": .string(code.rawValue)]
        if let version { members["version"] = .string(version) }
        if let message { members["message"] = .string(message) }
        return .object(members)
    }

    /// Failures for which another tool may do better: the tool failed, timed out, broke its output
    /// contract, could not be sandboxed, is unavailable, or needs credentials the caller lacks.
    public static func offersAlternatives(_ code: OmegaError.Code) -> Bool {
        [.toolFailed, .timeout, .invalidOutput, .sandboxFailure, .toolUnavailable, .missingEnvVars, .toolNotFound]
            .contains(code)
    }
}
