import Credentials
import JSON
import Jail
import ToolPackage

/// The jail's result as the run records it (redacted, without stdout) and the error it means.
struct Verdict {
    /// The raw result.
    let result: JailResult
    /// Whether the run was cancelled while the tool ran (the jail killed it on request).
    let cancelled: Bool
    /// stderr with every secret of the run redacted.
    let stderr: String
    /// The error text of a setup error, redacted.
    let setupError: String?
    /// stdout parsed as JSON (once: the output step reuses it).
    let document: Result<JSONValue, JSONParser.Error>
    /// stdout as a JSON document, when it is one.
    var parsedOutput: JSONValue? { try? document.get() }

    init(_ result: JailResult, cancelled: Bool, redactor: Redactor) {
        self.result = result
        self.cancelled = cancelled
        stderr = redactor.redact(result.stderr)
        setupError = result.error.map(redactor.redact)
        document = Result { () throws(JSONParser.Error) in try JSONParser().parse(result.stdout) }
    }

    /// The status recorded: the jail's, or `cancelled`.
    var status: String { cancelled ? "cancelled" : result.status.rawValue }

    /// The verdict object of `tool.finished` and of error details (no stdout or stderr).
    var json: JSONValue {
        var verdict: [String: JSONValue] = [
            "status": .string(status),
            "exitCode": result.exitCode.map { .integer(Int64($0)) } ?? .null,
            "signal": result.signal.map { .integer(Int64($0)) } ?? .null,
            "wallMs": .number(result.wallMs), "cpuMs": .number(result.cpuMs), "maxRssKb": .integer(result.maxRssKb),
            "stdoutTruncated": .bool(result.stdoutTruncated), "stderrTruncated": .bool(result.stderrTruncated),
        ]
        if let setupError { verdict["error"] = .string(setupError) }
        return .object(verdict)
    }

    /// The run's error for this verdict: nil for `ok`; `CANCELLED`, `TIMEOUT`, `SANDBOX_FAILURE` for
    /// a setup error, and `TOOL_FAILED` (with the tool's error document and stderr's tail) otherwise.
    func error(manifest: ToolManifest, limits: JailLimits, context: RunContext) -> OmegaError? {
        if cancelled {
            return OmegaError(.cancelled, "the run was cancelled while the tool ran", details: ["verdict": json])
        }
        switch result.status {
        case .ok:
            return nil
        case .timeout:
            return OmegaError(
                .timeout, "\(manifest.id) ran past its limit: \(setupError ?? "timeout")", details: ["verdict": json])
        case .setupError:
            return OmegaError(
                .sandboxFailure, "the jail could not be set up: \(setupError ?? "setup error")",
                details: ["verdict": json])
        case .runtimeError, .signaled, .memoryLimit, .outputLimit:
            var details: [String: JSONValue] = ["verdict": json]
            if let parsedOutput { details["toolError"] = context.redact(parsedOutput) }
            if !stderr.isEmpty { details["stderrTail"] = .string(String(stderr.suffix(2048))) }
            let what: String
            switch result.status {
            case .runtimeError: what = "exited with status \(result.exitCode ?? -1)"
            case .signaled: what = "was killed by signal \(result.signal ?? 0)"
            case .memoryLimit: what = "reached its memory limit of \(limits.memoryBytes >> 20) MB"
            default: what = "reached its output limit of \(limits.outputBytes) bytes"
            }
            return OmegaError(.toolFailed, "\(manifest.id) \(what)", details: details)
        }
    }
}
