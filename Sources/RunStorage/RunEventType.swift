/// The event types of DESIGN §6 (plus `run.interrupted`, written by recovery).
public enum RunEventType: String, Sendable, CaseIterable {
    /// The run was recorded (tool, version, how it was named).
    case runCreated = "run.created"
    /// A pipeline step began.
    case stepStarted = "step.started"
    /// The policy engine decided (allow, deny, needs approval).
    case policyChecked = "policy.checked"
    /// The call waits for a human's approval.
    case approvalRequested = "approval.requested"
    /// The call waits for missing credentials (names only).
    case credentialsRequested = "credentials.requested"
    /// The tool started in the jail (command, variable sources, limits).
    case toolStarted = "tool.started"
    /// A redacted tail of the tool's stderr.
    case toolOutput = "tool.output"
    /// The jail's verdict.
    case toolFinished = "tool.finished"
    /// The run paused at a step it resumes from.
    case runPaused = "run.paused"
    /// The run resumed.
    case runResumed = "run.resumed"
    /// The run completed with an output.
    case runCompleted = "run.completed"
    /// The run failed with an error.
    case runFailed = "run.failed"
    /// The run was cancelled.
    case runCancelled = "run.cancelled"
    /// The process driving the run ended before it finished (written by recovery at the next start).
    case runInterrupted = "run.interrupted"
    /// A human approved the paused call (who, until when, for which input digest).
    case approvalGranted = "approval.granted"
    /// Somebody asked for the run to stop (from another process, through the store).
    case cancelRequested = "run.cancel_requested"
    /// One connection the tool opened (or tried to) through the egress proxy: host, port, address,
    /// verdict, reason, bytes each way (DESIGN §11).
    case egressConnection = "egress.connection"
}
