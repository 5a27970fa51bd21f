import JSON

/// One execution of a tool in the jail, as the run store keeps it (the jail's verdict and the
/// redacted output; never the environment).
public struct ToolRunRecord: Sendable, Equatable {
    /// The run it belongs to.
    public var runID: String
    /// 1 for the first execution of the run (a run executes its tool once; replays are new runs).
    public var attempt: Int64
    /// The tool's id.
    public var toolID: String
    /// The tool's version.
    public var toolVersion: String
    /// SHA-256 of the canonical input.
    public var inputDigest: String
    /// The parsed (redacted) output, if the tool printed one.
    public var output: JSONValue?
    /// The verdict status (`ok`, `timeout`, …, or `cancelled`).
    public var status: String
    /// The exit code, if the tool exited.
    public var exitCode: Int32?
    /// The signal, if it was killed.
    public var signal: Int32?
    /// Wall time in milliseconds.
    public var wallMs: Double
    /// CPU time of the whole tree in milliseconds.
    public var cpuMs: Double
    /// Peak memory of the tree in KiB.
    public var maxRssKb: Int64
    /// When it started (ms since the epoch).
    public var startedAtMs: Int64
    /// When it finished (ms since the epoch).
    public var finishedAtMs: Int64

    /// A record.
    public init(
        runID: String, attempt: Int64, toolID: String, toolVersion: String, inputDigest: String, output: JSONValue?,
        status: String, exitCode: Int32?, signal: Int32?, wallMs: Double, cpuMs: Double, maxRssKb: Int64,
        startedAtMs: Int64, finishedAtMs: Int64
    ) {
        self.runID = runID
        self.attempt = attempt
        self.toolID = toolID
        self.toolVersion = toolVersion
        self.inputDigest = inputDigest
        self.output = output
        self.status = status
        self.exitCode = exitCode
        self.signal = signal
        self.wallMs = wallMs
        self.cpuMs = cpuMs
        self.maxRssKb = maxRssKb
        self.startedAtMs = startedAtMs
        self.finishedAtMs = finishedAtMs
    }
}
