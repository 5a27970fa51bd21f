import JSON

/// One step of a ``Plan``: which host tool to call, why, with what, and what it still lacks.
public struct PlanStep: Sendable, Hashable {
    /// 1-based position in the plan; steps run in this order.
    public var stepNumber: Int
    /// The host tool called (`registry_search`, `registry_execute`, or a pinned tool's own name).
    public var toolName: String
    /// Why the step is there, in one sentence.
    public var purpose: String
    /// The registry tool a `registry_execute` step runs; nil when the tool is chosen at run time.
    public var toolId: String?
    /// The version of ``toolId`` the plan was made with (what a replay pins).
    public var toolVersion: String?
    /// The input for the call: for a tool, every property that could be filled from the request, each
    /// accepted by the tool's input schema; nil when the step's input is decided at run time.
    public var input: JSONValue?
    /// Whether ``input`` as it stands validates against the tool's input schema (nil for steps whose
    /// input is decided at run time).
    public var inputValid: Bool?
    /// What the step returns, in one sentence (from the tool's output schema when it has one).
    public var expectedOutput: String?
    /// Inputs the schema requires that the request did not give, in the schema's `required` order.
    public var missingInputs: [MissingInput]
    /// Required variables the vault has no value for (for this user and tool).
    public var missingEnvVars: [MissingEnvVar]
    /// Whether the tool can run now (installed, served here, circuit closed, no key missing); nil for
    /// steps that name no tool.
    public var runnable: Bool?

    /// A step.
    public init(
        stepNumber: Int, toolName: String, purpose: String, toolId: String? = nil, toolVersion: String? = nil,
        input: JSONValue? = nil, inputValid: Bool? = nil, expectedOutput: String? = nil,
        missingInputs: [MissingInput] = [], missingEnvVars: [MissingEnvVar] = [], runnable: Bool? = nil
    ) {
        self.stepNumber = stepNumber
        self.toolName = toolName
        self.purpose = purpose
        self.toolId = toolId
        self.toolVersion = toolVersion
        self.input = input
        self.inputValid = inputValid
        self.expectedOutput = expectedOutput
        self.missingInputs = missingInputs
        self.missingEnvVars = missingEnvVars
        self.runnable = runnable
    }

    /// The step as DESIGN §7 writes it: `stepNumber`, `toolName`, `purpose`, then, only when present,
    /// `toolId`, `toolVersion`, `input`, `inputValid`, `expectedOutput`, `runnable`, and `missingInputs` /
    /// `missingEnvVars` (omitted when empty: absent means nothing is missing).
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "stepNumber": .integer(Int64(stepNumber)), "toolName": .string(toolName), "purpose": .string(purpose),
        ]
        if let toolId { members["toolId"] = .string(toolId) }
        if let toolVersion { members["toolVersion"] = .string(toolVersion) }
        if let input { members["input"] = input }
        if let inputValid { members["inputValid"] = .bool(inputValid) }
        if let expectedOutput { members["expectedOutput"] = .string(expectedOutput) }
        if let runnable { members["runnable"] = .bool(runnable) }
        if !missingInputs.isEmpty { members["missingInputs"] = .array(missingInputs.map(\.json)) }
        if !missingEnvVars.isEmpty { members["missingEnvVars"] = .array(missingEnvVars.map(\.json)) }
        return .object(members)
    }
}
