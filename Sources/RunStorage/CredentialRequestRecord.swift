/// A pause for missing credentials: which variables a run asked for (names and descriptions only,
/// never values) and when the request was answered.
public struct CredentialRequestRecord: Sendable, Equatable {
    /// The run that asked.
    public var runID: String
    /// The missing variables, by name.
    public var names: [String]
    /// When it asked (ms since the epoch).
    public var requestedAtMs: Int64
    /// When the run resumed with them (ms since the epoch), nil while open.
    public var resolvedAtMs: Int64?

    /// A record.
    public init(runID: String, names: [String], requestedAtMs: Int64, resolvedAtMs: Int64?) {
        self.runID = runID
        self.names = names
        self.requestedAtMs = requestedAtMs
        self.resolvedAtMs = resolvedAtMs
    }
}
