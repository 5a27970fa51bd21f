/// What a ``ModelProvider`` is asked to plan: the user's words, and whose registry view counts.
public struct PlanRequest: Sendable, Hashable {
    /// Longest request accepted, in UTF-8 bytes (a task and its inline content, not a document).
    public static let maximumBytes = 4096
    /// Most plans a response may hold.
    public static let maximumPlans = 3

    /// What the user wants done, in their words: 1…``maximumBytes`` bytes of text, at least one
    /// character that is not white space, no control characters but tab, line feed and carriage return.
    public var text: String
    /// The user whose pins and vault count when tools are searched and keys are checked (nil: the
    /// local user).
    public var user: String?
    /// Most plans wanted, 1…``maximumPlans`` (default 3).
    public var maxPlans: Int
    /// The tool the plan must run (a person picked it, e.g. an alternative of a failed call): one plan
    /// that runs it, its input filled from ``text``; nil: the planner chooses.
    public var toolID: String?

    /// A request.
    ///
    /// - Parameters:
    ///   - text: What the user wants done (validated by the provider, not here).
    ///   - user: Whose pins and vault count (nil: the local user).
    ///   - maxPlans: Most plans wanted, 1…3.
    ///   - toolID: The tool the plan must run (nil: the planner chooses).
    public init(text: String, user: String? = nil, maxPlans: Int = PlanRequest.maximumPlans, toolID: String? = nil) {
        self.text = text
        self.user = user
        self.maxPlans = maxPlans
        self.toolID = toolID
    }
}
