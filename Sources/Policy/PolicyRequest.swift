import JSON
/// What the policy engine decides about: one call of one tool, as the executor fills it in from the
/// tool's manifest and the caller's input.
public struct PolicyRequest: Sendable, Hashable {
    /// How risky a tool says it is (from its manifest).
    public enum RiskLevel: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// Reads, no side effects worth asking about.
        case low
        /// Some side effects.
        case medium
        /// Side effects worth a human's look: always needs approval.
        case high

        /// `low`, `medium` or `high`.
        public var description: String { rawValue }
    }

    /// The tool's id (`web.fetch`).
    public var toolID: String
    /// The tool's version (`1.2.0`); approvals are bound to it.
    public var toolVersion: String
    /// The scopes the tool needs; every one must be granted.
    public var scopes: [String]
    /// The tool's declared risk.
    public var risk: RiskLevel
    /// The tool writes outside the jail (sends mail, opens issues, …): always needs approval.
    public var externalWrite: Bool
    /// The tool declares it only reads. Recorded in the explanation; it never relaxes a decision
    /// (a read-only tool asking for an elevated scope still needs approval).
    public var readOnly: Bool
    /// The call's input; approvals are bound to the SHA-256 of its canonical form.
    public var input: JSONValue { didSet { inputDigest = Approval.digest(of: input) } }
    /// The digest of the package that would run (empty when unknown); approvals are bound to it too.
    public var packageDigest: String = ""

    /// A request.
    ///
    /// - Parameters:
    ///   - toolID: The tool's id.
    ///   - toolVersion: The tool's version.
    ///   - scopes: The scopes it needs (duplicates are ignored).
    ///   - risk: The declared risk.
    ///   - externalWrite: Whether it writes outside the jail.
    ///   - readOnly: Whether it declares itself read-only.
    ///   - input: The call's input.
    public init(
        toolID: String, toolVersion: String, scopes: [String], risk: RiskLevel = .low, externalWrite: Bool = false,
        readOnly: Bool = false, input: JSONValue = .object([:])
    ) {
        self.toolID = toolID
        self.toolVersion = toolVersion
        self.scopes = scopes
        self.risk = risk
        self.externalWrite = externalWrite
        self.readOnly = readOnly
        self.input = input
        self.inputDigest = Approval.digest(of: input)
    }

    /// The lowercase hex SHA-256 of the input's canonical (RFC 8785) UTF-8 text: equal for inputs
    /// that differ only in key order or whitespace, different for any changed value.
    /// (Computed once, when the input is set: every decision and approval about the request reads it.)
    /// The user whose credentials the call runs with (approvals are bound to it; empty: none).
    public var user: String = ""

    public private(set) var inputDigest: String

    /// The identity an approval must carry to cover this request.
    public var approvalKey: ApprovalKey {
        ApprovalKey(
            toolID: toolID, toolVersion: toolVersion, inputDigest: inputDigest, packageDigest: packageDigest, user: user)
    }
}
