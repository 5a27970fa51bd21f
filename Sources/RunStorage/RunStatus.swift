/// Where a run is in its life. `completed`, `failed`, `cancelled` and `interrupted` are final.
public enum RunStatus: String, Sendable, CaseIterable {
    /// Recorded, not started.
    case created
    /// Going through the pipeline.
    case running
    /// Waiting (missing credentials, an approval); resumes from the step that paused.
    case paused
    /// Finished successfully.
    case completed
    /// Finished with an error.
    case failed
    /// Stopped on request.
    case cancelled
    /// The process running it died; found at the next start.
    case interrupted

    /// Whether nothing can follow.
    public var isFinal: Bool { [.completed, .failed, .cancelled, .interrupted].contains(self) }

    /// The statuses a run may move to from this one.
    public var successors: Set<RunStatus> {
        switch self {
        case .created: return [.running, .paused, .failed, .cancelled, .interrupted]
        case .running: return [.paused, .completed, .failed, .cancelled, .interrupted]
        case .paused: return [.running, .failed, .cancelled, .interrupted]
        case .completed, .failed, .cancelled, .interrupted: return []
        }
    }
}
