import Crypto
import JSON

/// What a paused `tools/call` carries back to the host on its retry (the MCP `requestState`), sealed
/// by ``SealedToken``: the run to resume and what the state is bound to.
///
/// A state opens only for the caller it was issued to, for the same method and the same parameters
/// (their digest: the canonical JSON of `params` without `_meta`, `requestState` and
/// `inputResponses`), before its expiry, and once (its nonce is consumed in the home's ledger, shared
/// by every process on it).
public struct RequestState: Sendable, Equatable {
    /// What the run waits for.
    public enum Kind: String, Sendable {
        /// A human's approval of the exact call.
        case approval
        /// Credentials entered on the credential page.
        case credentials
    }

    /// The purpose the token is sealed for.
    public static let purpose = "request-state"

    /// What the run waits for.
    public var kind: Kind
    /// The caller's principal (`key:<id>`, `stdio:<user>`).
    public var caller: String
    /// The JSON-RPC method (`tools/call`).
    public var method: String
    /// SHA-256 (hex) of the parameters' canonical JSON (see the type's summary).
    public var paramsDigest: String
    /// The paused run.
    public var runID: String
    /// When it stops opening, in milliseconds since the epoch.
    public var expiresAtMs: Int64
    /// Single-use nonce.
    public var nonce: String

    /// A state.
    public init(
        kind: Kind, caller: String, method: String, paramsDigest: String, runID: String, expiresAtMs: Int64,
        nonce: String = SealedToken.randomNonce()
    ) {
        self.kind = kind
        self.caller = caller
        self.method = method
        self.paramsDigest = paramsDigest
        self.runID = runID
        self.expiresAtMs = expiresAtMs
        self.nonce = nonce
    }

    /// The digest the state binds: SHA-256 of `params` without `_meta`, `requestState` and
    /// `inputResponses`, in canonical JSON.
    public static func digest(of params: JSONValue?) -> String {
        var members = params?.objectValue ?? [:]
        for key in ["_meta", "requestState", "inputResponses"] { members[key] = nil }
        return ByteEncoding.hex(SHA256.hash(data: Array(JSONValue.object(members).canonicalText.utf8)))
    }

    /// The sealed document.
    var json: JSONValue {
        [
            "v": 1, "kind": .string(kind.rawValue), "caller": .string(caller), "method": .string(method),
            "digest": .string(paramsDigest), "run": .string(runID), "exp": .integer(expiresAtMs),
            "nonce": .string(nonce),
        ]
    }

    /// A state from its sealed document; nil when a field is missing or of the wrong type.
    init?(json: JSONValue) {
        guard json["v"] == 1, let kind = json["kind"]?.stringValue.flatMap(Kind.init(rawValue:)),
            let caller = json["caller"]?.stringValue, let method = json["method"]?.stringValue,
            let digest = json["digest"]?.stringValue, let run = json["run"]?.stringValue,
            case .integer(let exp)? = json["exp"], let nonce = json["nonce"]?.stringValue
        else { return nil }
        self.init(
            kind: kind, caller: caller, method: method, paramsDigest: digest, runID: run, expiresAtMs: exp,
            nonce: nonce)
    }

    /// Seals the state.
    public func sealed(with sealer: SealedToken) -> String { sealer.seal(json, purpose: Self.purpose) }

    /// Opens a sealed state; nil when it does not verify (forged, altered, another key or purpose).
    public static func open(_ token: String, with sealer: SealedToken) -> RequestState? {
        sealer.open(token, purpose: purpose).flatMap(RequestState.init(json:))
    }
}
