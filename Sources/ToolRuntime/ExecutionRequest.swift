import JSON

/// One tool call as a surface hands it to the executor.
public struct ExecutionRequest: Sendable {
    /// The tool: a package folder, a `.tar.gz`, or an installed `id[@version]`.
    public var tool: String
    /// The input document.
    public var input: JSONValue
    /// Values for the tool's declared environment variables (they win over the vault). Never stored.
    public var env: [String: String]
    /// The user the call is made for (vault scope `user:<name>`), if any.
    public var user: String?
    /// When set, an approval this exact call needs is granted by this principal on the spot.
    public var approvedBy: String?
    /// Whether such an approval is kept for later calls (false: it counts for this run only, as for
    /// the contract-test harness, which is not a human deciding).
    public var keepApproval = true

    /// A request.
    ///
    /// - Parameters:
    ///   - tool: The tool reference.
    ///   - input: The input document.
    ///   - env: Values for declared environment variables.
    ///   - user: The user the call is made for.
    ///   - approvedBy: Who approves the call now, if anyone.
    public init(
        tool: String, input: JSONValue = .object([:]), env: [String: String] = [:], user: String? = nil,
        approvedBy: String? = nil
    ) {
        self.tool = tool
        self.input = input
        self.env = env
        self.user = user
        self.approvedBy = approvedBy
    }
}
