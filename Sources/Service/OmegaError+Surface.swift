import ToolRuntime

/// How each wire code renders on a surface, defined once: the CLI's exit code and the endpoint's
/// HTTP status. The error object itself is ``OmegaError/json`` (DESIGN §5).
extension OmegaError.Code {
    /// The documented exit code of `omega-exec` for this code (0 is a completed run, 64 bad usage).
    public var exitCode: Int32 {
        switch self {
        case .invalidInput: return 65
        case .toolNotFound: return 66
        case .missingEnvVars: return 67
        case .approvalRequired: return 68
        case .toolUnavailable: return 69
        case .sandboxFailure: return 70
        case .invalidOutput: return 71
        case .toolFailed: return 72
        case .invalidManifest: return 73
        case .internalError: return 74
        case .rateLimited: return 75
        case .invalidState: return 76
        case .policyDenied: return 77
        case .unauthorized: return 78
        case .notFound: return 79
        case .payloadTooLarge: return 80
        case .timeout: return 124
        case .cancelled: return 130
        }
    }

    /// The HTTP status of the endpoint for this code (DESIGN §10).
    public var httpStatus: Int {
        switch self {
        case .invalidInput, .invalidManifest: return 400
        case .unauthorized: return 401
        case .policyDenied: return 403
        case .toolNotFound, .notFound: return 404
        case .payloadTooLarge: return 413
        case .invalidState, .missingEnvVars, .approvalRequired: return 409
        case .rateLimited: return 429
        case .invalidOutput, .toolFailed, .sandboxFailure, .internalError: return 500
        case .toolUnavailable: return 503
        case .timeout: return 504
        case .cancelled: return 499
        }
    }
}

extension ExecutionOutcome {
    /// The exit code of the outcome: 0 when completed, else its error code's.
    public var exitCode: Int32 { error?.code.exitCode ?? 0 }
}
