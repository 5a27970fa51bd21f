/// One step of the pipeline as its own small type: it reads and fills the run's context, records
/// its events through the runner, and throws the error that fails or pauses the run.
///
/// Stages hold no state between runs; the runner calls them in ``PipelineStep`` order and records
/// `step.started` before each.
protocol PipelineStage: Sendable {
    /// The step this stage implements (what the store records and a paused run resumes from).
    static var step: PipelineStep { get }

    /// Runs the step for `context`.
    ///
    /// - Throws: The error that fails the run, or a pause (`MISSING_ENV_VARS`, `APPROVAL_REQUIRED`).
    func run(_ context: RunContext, runner: ToolRunner) async throws(OmegaError)
}
