import ToolPackage
import ToolRuntime

/// The documented exit code of each error code (docs/CLI.md), shared by `try`, `runs` and `test`.
enum ExitCodes {
    /// 0 for a completed run; otherwise the code's own number.
    static func code(for error: OmegaError.Code?) -> Int32 {
        guard let error else { return 0 }
        switch error {
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
        case .timeout: return 124
        case .cancelled: return 130
        }
    }
}
