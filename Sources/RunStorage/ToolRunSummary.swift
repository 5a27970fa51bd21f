/// How a tool's recent runs ended: the health a search result shows next to its circuit state.
public struct ToolRunSummary: Sendable, Hashable {
    /// Finished runs counted (the most recent, at most the limit asked).
    public var finished: Int
    /// Of those, the runs that completed.
    public var completed: Int

    /// A summary.
    public init(finished: Int = 0, completed: Int = 0) {
        self.finished = finished
        self.completed = completed
    }

    /// `completed / finished`, or nil before any run finished.
    public var successRate: Double? { finished == 0 ? nil : Double(completed) / Double(finished) }
}
