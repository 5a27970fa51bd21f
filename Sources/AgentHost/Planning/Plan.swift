import JSON

/// One proposed way to do what the user asked (DESIGN §7): steps in the order they run, how sure the
/// provider is, and why.
public struct Plan: Sendable, Hashable {
    /// The steps, numbered from 1 in order.
    public var steps: [PlanStep]
    /// How likely the plan is to do what was asked, 0…1 (see ``PlanConfidence`` for the offline
    /// planner's mapping).
    public var confidence: Double
    /// Why this plan, in one or two sentences that say what was found and what is missing.
    public var reasoning: String

    /// A plan.
    public init(steps: [PlanStep], confidence: Double, reasoning: String) {
        self.steps = steps
        self.confidence = confidence
        self.reasoning = reasoning
    }

    /// `{"plan": [steps], "confidence": 0.74, "reasoning": "…"}`, exactly the field names of DESIGN §7
    /// (confidence rounded to three decimals).
    public var json: JSONValue {
        [
            "plan": .array(steps.map(\.json)), "confidence": .number((confidence * 1000).rounded() / 1000),
            "reasoning": .string(reasoning),
        ]
    }
}
