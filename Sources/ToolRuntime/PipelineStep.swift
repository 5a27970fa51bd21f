/// The steps of the pipeline, in order. A paused run resumes from the step that paused it.
public enum PipelineStep: String, Sendable, CaseIterable, Comparable {
    /// Find the tool (a folder, an archive or an installed `id[@version]`).
    case resolve
    /// Validate the input against the tool's input schema.
    case validateInput = "validate_input"
    /// Ask the policy engine (may pause for an approval).
    case policy
    /// Resolve the declared environment variables (may pause for missing ones).
    case credentials
    /// Run the tool in the jail.
    case execute
    /// Parse and validate the output.
    case validateOutput = "validate_output"
    /// Collect the artifacts and finish.
    case finish

    /// Pipeline order.
    public static func < (lhs: PipelineStep, rhs: PipelineStep) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
