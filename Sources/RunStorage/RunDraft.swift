import JSON

/// What a new run is made of (``RunStore/createRun(_:atMs:)``).
public struct RunDraft: Sendable, Equatable {
    /// The run's id.
    public var id: String
    /// The tool's id.
    public var toolID: String
    /// The tool's version.
    public var toolVersion: String
    /// The input as given; the store redacts well-known credential formats out of it.
    public var input: JSONValue
    /// How the tool was named (a folder, an archive, or `id@version`).
    public var toolReference: String
    /// SHA-256 of the package description, empty when unknown.
    public var packageDigest: String
    /// The user the run belongs to.
    public var user: String?
    /// The process driving it.
    public var owner: String?
    /// The run this one replays.
    public var replayOf: String?
    /// SHA-256 of the input as given, when `input` is already a redacted copy (nil: computed from `input`).
    public var inputDigest: String?

    /// A draft.
    ///
    /// - Parameters:
    ///   - id: The run's id.
    ///   - toolID: The tool's id.
    ///   - toolVersion: The tool's version.
    ///   - input: The input as given.
    ///   - toolReference: How the tool was named.
    ///   - packageDigest: SHA-256 of the package description.
    ///   - user: The user the run belongs to.
    ///   - owner: The process driving it.
    ///   - replayOf: The run this one replays.
    public init(
        id: String, toolID: String, toolVersion: String, input: JSONValue, toolReference: String = "",
        packageDigest: String = "", user: String? = nil, owner: String? = nil, replayOf: String? = nil
    ) {
        self.id = id
        self.toolID = toolID
        self.toolVersion = toolVersion
        self.input = input
        self.toolReference = toolReference
        self.packageDigest = packageDigest
        self.user = user
        self.owner = owner
        self.replayOf = replayOf
    }
}
