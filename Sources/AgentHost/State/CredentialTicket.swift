import JSON

/// The capability behind a credential page URL (`/credentials/<ticket>`): which run waits, for which
/// user, and which variables the page may ask for, sealed by ``SealedToken`` so the page can be opened
/// by a human's browser without an API key, yet can store only those names, only for that user,
/// before the expiry, and only once.
public struct CredentialTicket: Sendable, Equatable {
    /// One variable the page asks for.
    public struct Variable: Sendable, Equatable {
        /// The environment variable name.
        public var name: String
        /// What it is (from the manifest).
        public var description: String
    }

    /// The purpose the token is sealed for.
    public static let purpose = "credential-ticket"

    /// The paused run.
    public var runID: String
    /// The tool that asks.
    public var toolID: String
    /// The user the values are stored for (vault scope `user:<name>`).
    public var user: String
    /// The variables asked for.
    public var variables: [Variable]
    /// When the page stops accepting, in milliseconds since the epoch.
    public var expiresAtMs: Int64
    /// Single-use nonce (consumed when values are stored).
    public var nonce: String

    /// A ticket.
    public init(
        runID: String, toolID: String, user: String, variables: [Variable], expiresAtMs: Int64,
        nonce: String = SealedToken.randomNonce()
    ) {
        self.runID = runID
        self.toolID = toolID
        self.user = user
        self.variables = variables
        self.expiresAtMs = expiresAtMs
        self.nonce = nonce
    }

    var json: JSONValue {
        [
            "v": 1, "run": .string(runID), "tool": .string(toolID), "user": .string(user),
            "vars": .array(variables.map { ["name": .string($0.name), "description": .string($0.description)] }),
            "exp": .integer(expiresAtMs), "nonce": .string(nonce),
        ]
    }

    init?(json: JSONValue) {
        guard json["v"] == 1, let run = json["run"]?.stringValue, let tool = json["tool"]?.stringValue,
            let user = json["user"]?.stringValue, let vars = json["vars"]?.arrayValue,
            case .integer(let exp)? = json["exp"], let nonce = json["nonce"]?.stringValue
        else { return nil }
        var variables: [Variable] = []
        for item in vars {
            guard let name = item["name"]?.stringValue, let description = item["description"]?.stringValue else {
                return nil
            }
            variables.append(Variable(name: name, description: description))
        }
        self.init(runID: run, toolID: tool, user: user, variables: variables, expiresAtMs: exp, nonce: nonce)
    }

    /// Seals the ticket.
    public func sealed(with sealer: SealedToken) -> String { sealer.seal(json, purpose: Self.purpose) }

    /// Opens a sealed ticket; nil when it does not verify.
    public static func open(_ token: String, with sealer: SealedToken) -> CredentialTicket? {
        sealer.open(token, purpose: purpose).flatMap(CredentialTicket.init(json:))
    }
}
