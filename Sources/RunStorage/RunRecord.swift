import JSON
import Policy

/// One run as stored.
public struct RunRecord: Sendable, Equatable {
    /// The run's id.
    public var id: String
    /// The tool it runs.
    public var toolID: String
    /// The tool's version.
    public var toolVersion: String
    /// Where it is.
    public var status: RunStatus
    /// The input (secrets redacted).
    public var input: JSONValue
    /// When it was created, in milliseconds since the epoch.
    public var createdAtMs: Int64
    /// When its status last changed, in milliseconds since the epoch.
    public var updatedAtMs: Int64
    /// How the tool was named when the run was made (a folder, an archive, or `id@version`).
    public var toolReference: String = ""
    /// SHA-256 of the package's signed description (what ran), empty when unknown.
    public var packageDigest: String = ""
    /// SHA-256 of the canonical input as given (before any redaction).
    public var inputDigest: String = ""
    /// The user the run belongs to (credential scope `user:`), if any.
    public var user: String?
    /// The pipeline step the run is at (the step a paused run resumes from).
    public var step: String?
    /// The process that drives the run (`bootid:pid:starttime`); nil when nobody does (paused, final).
    public var owner: String?
    /// The final outcome (success or error object), once there is one.
    public var result: JSONValue?
    /// The run this one replays, if any.
    public var replayOf: String?
    /// Whether someone asked for the run to stop.
    public var cancelRequested: Bool = false

    /// Whether `text` could be a run's id: 1–64 of `a-z 0-9 - _` (what a client may hand back in a path,
    /// a cursor or a page path; anything else is no run).
    public static func isWellFormedID(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.utf8.allSatisfy {
                $0 == 0x2D || $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A)
            }
    }

    /// Whether the stored input is exactly the input given (no credential pattern was redacted out of it).
    public var inputIsExact: Bool { inputDigest.isEmpty || Approval.digest(of: input) == inputDigest }
}
