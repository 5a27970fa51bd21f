/// A run's egress totals, returned when its session closes.
public struct EgressUsage: Sendable, Equatable {
    /// Connections the proxy accepted and finished for the run, refused ones included.
    public var connections: Int
    /// How many of those were refused.
    public var refused: Int
    /// Payload bytes relayed, both directions together.
    public var bytes: UInt64
    /// Connections finished after ``EgressLimits/maxRecords`` records had been reported (counted, not
    /// reported).
    public var unrecorded: Int

    /// Totals as given.
    public init(connections: Int, refused: Int, bytes: UInt64, unrecorded: Int) {
        self.connections = connections
        self.refused = refused
        self.bytes = bytes
        self.unrecorded = unrecorded
    }
}
