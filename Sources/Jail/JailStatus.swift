/// The verdict of one run, like a judge's.
public enum JailStatus: String, Sendable, Codable, CaseIterable {
    /// The program exited with status 0.
    case ok
    /// The program exited with a non-zero status.
    case runtimeError = "runtime_error"
    /// The program was killed by a signal it did not ask the jail for.
    case signaled
    /// The wall-clock or CPU-time limit was reached; the whole tree was killed.
    case timeout
    /// The memory limit was reached (the OOM killer acted inside the run's cgroup).
    case memoryLimit = "memory_limit"
    /// The output cap of a stream was reached; the whole tree was killed.
    case outputLimit = "output_limit"
    /// The jail could not be set up; `error` names the step.
    case setupError = "setup_error"
}
