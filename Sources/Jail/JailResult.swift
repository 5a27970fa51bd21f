import JSON
/// The result of one run: exactly one per run, whatever happened (DESIGN §2).
public struct JailResult: Sendable, Equatable {
    /// The verdict.
    public var status: JailStatus
    /// The exit code reported by `wait`, when the program exited.
    public var exitCode: Int32?
    /// The signal that ended the program, when it was signaled.
    public var signal: Int32?
    /// Wall time from spawn to the end of the tree, in milliseconds.
    public var wallMs: Double
    /// User + system CPU time of the whole tree, in milliseconds.
    public var cpuMs: Double
    /// Peak memory of the tree in KiB (the cgroup's peak where available, else the largest process).
    public var maxRssKb: Int64
    /// Captured standard output (UTF-8, invalid bytes replaced), at most the output limit.
    public var stdout: String
    /// Captured standard error (UTF-8, invalid bytes replaced), at most the output limit.
    public var stderr: String
    /// Whether standard output hit its cap.
    public var stdoutTruncated: Bool
    /// Whether standard error hit its cap.
    public var stderrTruncated: Bool
    /// For `setup_error`: the step that failed and why (`mount /proc: EPERM`); otherwise a note on
    /// which limit ended the run, or `nil`.
    public var error: String?
    /// Which cgroup backend enforced the limits (`v1`, `v2`) or `none` (rlimits only).
    public var cgroup: String

    /// Creates a result.
    public init(
        status: JailStatus, exitCode: Int32? = nil, signal: Int32? = nil, wallMs: Double = 0, cpuMs: Double = 0,
        maxRssKb: Int64 = 0, stdout: String = "", stderr: String = "", stdoutTruncated: Bool = false,
        stderrTruncated: Bool = false, error: String? = nil, cgroup: String = "none"
    ) {
        self.status = status
        self.exitCode = exitCode
        self.signal = signal
        self.wallMs = wallMs
        self.cpuMs = cpuMs
        self.maxRssKb = maxRssKb
        self.stdout = stdout
        self.stderr = stderr
        self.stdoutTruncated = stdoutTruncated
        self.stderrTruncated = stderrTruncated
        self.error = error
        self.cgroup = cgroup
    }

    /// The exit code `omega-exec jail` uses without `--json`: the program's own, 128+signal when
    /// signaled, 124 on timeout, 125 on a setup error, 137 when killed for memory or output.
    public var shellExitCode: Int32 {
        switch status {
        case .ok, .runtimeError: return exitCode ?? 1
        case .signaled: return 128 + (signal ?? 0)
        case .timeout: return 124
        case .setupError: return 125
        case .memoryLimit, .outputLimit: return signal.map { 128 + $0 } ?? 137
        }
    }

    /// The result as one JSON object (field names are the contract), without Foundation.
    public func json() -> String {
        var out = JSONWriter()
        out.object {
            $0.field("status", status.rawValue)
            $0.field("exitCode", exitCode.map(Int64.init))
            $0.field("signal", signal.map(Int64.init))
            $0.field("wallMs", (wallMs * 1000).rounded() / 1000)
            $0.field("cpuMs", (cpuMs * 1000).rounded() / 1000)
            $0.field("maxRssKb", maxRssKb)
            $0.field("stdout", stdout)
            $0.field("stderr", stderr)
            $0.field("stdoutTruncated", stdoutTruncated)
            $0.field("stderrTruncated", stderrTruncated)
            $0.field("error", error)
            $0.field("cgroup", cgroup)
        }
        return out.text
    }
}
