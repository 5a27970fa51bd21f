/// The event types of DESIGN §6 (plus `run.interrupted`, written by recovery).
public enum RunEventType: String, Sendable, CaseIterable {
    case runCreated = "run.created"
    case stepStarted = "step.started"
    case policyChecked = "policy.checked"
    case approvalRequested = "approval.requested"
    case credentialsRequested = "credentials.requested"
    case toolStarted = "tool.started"
    case toolOutput = "tool.output"
    case toolFinished = "tool.finished"
    case runPaused = "run.paused"
    case runResumed = "run.resumed"
    case runCompleted = "run.completed"
    case runFailed = "run.failed"
    case runCancelled = "run.cancelled"
    case runInterrupted = "run.interrupted"
    /// A human approved the paused call (who, until when, for which input digest).
    case approvalGranted = "approval.granted"
    /// Somebody asked for the run to stop (from another process, through the store).
    case cancelRequested = "run.cancel_requested"
}
