import JSON

/// What a ``ModelProvider`` answers to a ``PlanRequest``: one or more plans, best first, and who made them.
public struct PlanResponse: Sendable, Hashable {
    /// The plans, best first (highest confidence); never empty, at most ``PlanRequest/maxPlans``.
    public let plans: [Plan]
    /// The model that made them (recorded on the runs they lead to).
    public var model: ModelIdentity
    /// The words the registry was searched with (empty when the request held none to search for).
    public var query: String
    /// How many tools the search found (before any was chosen for a plan).
    public var toolsFound: Int

    /// A response.
    ///
    /// - Precondition: `plans` is not empty.
    public init(plans: [Plan], model: ModelIdentity, query: String, toolsFound: Int) {
        precondition(!plans.isEmpty, "a plan response holds at least one plan")
        self.plans = plans
        self.model = model
        self.query = query
        self.toolsFound = toolsFound
    }

    /// The best plan: the first of ``plans``.
    public var best: Plan { plans[0] }

    /// The best plan's DESIGN §7 fields at the top (`plan`, `confidence`, `reasoning`, so that a reader
    /// of §7 reads it as is), and beside them `plans` (every plan, best first, each in the §7 shape; the
    /// first is the top-level one), `model` (``ModelIdentity/json``), `query` and `toolsFound`.
    public var json: JSONValue {
        guard case .object(var members) = best.json else { return .null }
        members["plans"] = .array(plans.map(\.json))
        members["model"] = model.json
        members["query"] = .string(query)
        members["toolsFound"] = .integer(Int64(toolsFound))
        return .object(members)
    }
}
