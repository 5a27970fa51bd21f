import JSON

/// Who did what an audit record describes: the appliance user and, when the request came with an
/// API key, that key's id (never its secret).
public struct AuditActor: Sendable, Hashable {
    /// The user (`local` for the command line, else the API key's user).
    public var user: String
    /// The API key's id (`key_…`), when a key authenticated the request.
    public var keyID: String?

    /// An actor.
    ///
    /// - Parameters:
    ///   - user: The appliance user; must not be empty (``AuditLog/append(_:actor:fields:)`` refuses it).
    ///   - keyID: The API key's id, if any.
    public init(user: String, keyID: String? = nil) {
        self.user = user
        self.keyID = keyID
    }

    /// `{"user": …, "keyId": …}` (`keyId` absent when there is none).
    public var json: JSONValue {
        var object: [String: JSONValue] = ["user": .string(user)]
        if let keyID { object["keyId"] = .string(keyID) }
        return .object(object)
    }

    /// The actor of `json`; nil unless it is an object with a string `user` and, if present, a string
    /// `keyId`, and nothing else.
    init?(json: JSONValue) {
        guard let object = json.objectValue, let user = object["user"]?.stringValue,
            Set(object.keys).isSubset(of: ["user", "keyId"])
        else { return nil }
        let keyID: String?
        switch object["keyId"] {
        case nil: keyID = nil
        case .string(let id)?: keyID = id
        default: return nil
        }
        self.init(user: user, keyID: keyID)
    }
}
