import JSON

/// A change of a run's status and bookkeeping, applied atomically with the event that records it.
public struct RunChange: Sendable, Equatable {
    /// The new status.
    public var status: RunStatus
    /// The new step (`.some(nil)` clears it; nil keeps it).
    public var step: String??
    /// The new owner (`.some(nil)` clears it; nil keeps it).
    public var owner: String??
    /// The final outcome to keep, if any.
    public var result: JSONValue?
    /// When set, the change applies only if the run is in one of these statuses (compare-and-set).
    public var expected: Set<RunStatus>?

    /// A change.
    ///
    /// - Parameters:
    ///   - status: The new status.
    ///   - step: The new step (`.some(nil)` clears it; nil keeps it).
    ///   - owner: The new owner (`.some(nil)` clears it; nil keeps it).
    ///   - result: The final outcome.
    ///   - expected: Apply only from these statuses (nil: any status the life cycle allows).
    public init(
        status: RunStatus, step: String?? = nil, owner: String?? = nil, result: JSONValue? = nil,
        expected: Set<RunStatus>? = nil
    ) {
        self.expected = expected
        self.status = status
        self.step = step
        self.owner = owner
        self.result = result
    }
}
