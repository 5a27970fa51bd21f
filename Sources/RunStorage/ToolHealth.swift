/// The circuit breaker's memory of one tool: consecutive failures and, while open, until when calls
/// are refused with `TOOL_UNAVAILABLE`. Kept in the run store so every process sharing it agrees.
public struct ToolHealth: Sendable, Equatable {
    /// The tool's id.
    public var toolID: String
    /// Failures since the last success.
    public var consecutiveFailures: Int
    /// While open: until when (ms since the epoch) calls are refused. After that one trial call is let
    /// through (half-open); its success closes the circuit, its failure opens it again.
    public var openUntilMs: Int64?

    /// A record.
    public init(toolID: String, consecutiveFailures: Int = 0, openUntilMs: Int64? = nil) {
        self.toolID = toolID
        self.consecutiveFailures = consecutiveFailures
        self.openUntilMs = openUntilMs
    }

    /// Whether calls are refused at `nowMs`.
    public func isOpen(atMs nowMs: Int64) -> Bool { openUntilMs.map { nowMs < $0 } ?? false }
}
