import Credentials
import ToolRuntime

/// What a human (or a client) answers to a paused run.
public enum PauseAnswer: Sendable {
    /// Approve the exact call the run waits for, as `principal`.
    case approve(principal: String)
    /// Values for the missing variables (never stored with the run); `saveInVault` also stores the
    /// ones given here in the vault under the tool's scope (`tool:<id>`), so later runs of that tool
    /// find them.
    case credentials([String: String], saveInVault: Bool)
}

extension OmegaService {
    /// Answers the pause of `outcome` and resumes the run from the step that paused it.
    ///
    /// - Parameters:
    ///   - outcome: The paused outcome (its error says what the run waits for).
    ///   - answer: The answer.
    ///   - env: Variables the original call gave (kept for the resumed run).
    ///   - user: The user for vault lookups.
    ///   - observer: Sees each event as it is stored.
    /// - Returns: The resumed run's outcome; `INVALID_STATE` when the answer does not fit the pause.
    ///   A vault that cannot be written does not stop the resume: its error is returned beside the outcome.
    public func answer(
        _ outcome: ExecutionOutcome, with answer: PauseAnswer, env: [String: String] = [:], user: String? = nil,
        observer: EventObserver? = nil
    ) async -> (outcome: ExecutionOutcome, vaultError: OmegaError?) {
        switch (outcome.error?.code, answer) {
        case (.approvalRequired, .approve(let principal)):
            let resumed = await resume(runID: outcome.runID, env: env, approvedBy: principal, user: user, observer: observer)
            return (resumed, nil)
        case (.missingEnvVars, .credentials(let values, let save)):
            var vaultError: OmegaError?
            if save {
                do {
                    try CredentialService(home: home).save(values, forTool: outcome.toolID)
                } catch {
                    vaultError = error
                }
            }
            let resumed = await resume(
                runID: outcome.runID, env: env.merging(values) { _, new in new }, user: user, observer: observer)
            return (resumed, vaultError)
        default:
            var refused = outcome
            refused.error = OmegaError(
                .invalidState, "run \(outcome.runID) does not wait for this answer (it is \(outcome.status.rawValue))")
            return (refused, nil)
        }
    }
}
