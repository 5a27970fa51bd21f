import JSON

/// One line of the audit log: a JSON object in canonical form (RFC 8785: sorted keys, no whitespace),
/// chained to the record before it.
///
/// ```json
/// {"actor":{"keyId":"key_0123456789abcdef","user":"alice"},"fields":{"runId":"run_1","status":"completed",
///  "toolId":"acme.echo","version":"1.0.0"},"hash":"<64 hex>","kind":"tool.call","prev":"<64 hex>","seq":7,
///  "timeMs":1767225600000}
/// ```
///
/// `hash` is the lowercase hex HMAC-SHA256, under the log's key, of the canonical JSON of the record
/// without its `hash` member (``signedText``); `prev` is the previous record's `hash`, or
/// ``genesisHash`` for `seq` 1.
public struct AuditRecord: Sendable, Hashable {
    /// The `prev` of the first record: 64 zeros.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// The position in the log: 1, 2, 3, … without gaps.
    public var seq: Int64
    /// When it was appended, in milliseconds since the Unix epoch (the appending process's clock).
    public var timeMs: Int64
    /// What it is about.
    public var kind: AuditKind
    /// Who did it.
    public var actor: AuditActor
    /// Non-secret details (ids, statuses, names of credentials — never values).
    public var fields: [String: JSONValue]
    /// The previous record's ``hash`` (``genesisHash`` for the first).
    public var prev: String
    /// HMAC-SHA256 of ``signedText``, lowercase hex.
    public var hash: String

    /// A record with every member given (``AuditLog`` computes `seq`, `prev` and `hash`).
    public init(
        seq: Int64, timeMs: Int64, kind: AuditKind, actor: AuditActor, fields: [String: JSONValue], prev: String,
        hash: String
    ) {
        self.seq = seq
        self.timeMs = timeMs
        self.kind = kind
        self.actor = actor
        self.fields = fields
        self.prev = prev
        self.hash = hash
    }

    /// The record as a JSON object (with `hash`).
    public var json: JSONValue {
        var object = unsignedMembers
        object["hash"] = .string(hash)
        return .object(object)
    }

    /// The line as written to the file, without its newline: ``json`` in canonical form.
    public var line: String { json.canonicalText }

    /// The text `hash` authenticates: the canonical JSON of every member but `hash`.
    public var signedText: String { JSONValue.object(unsignedMembers).canonicalText }

    /// Every member but `hash`.
    private var unsignedMembers: [String: JSONValue] {
        [
            "seq": .integer(seq), "timeMs": .integer(timeMs), "kind": .string(kind.rawValue), "actor": actor.json,
            "fields": .object(fields), "prev": .string(prev),
        ]
    }

    /// The record `json` holds.
    ///
    /// - Throws: ``Malformed`` naming the first member that is missing or of the wrong type: `seq` (an
    ///   integer ≥ 1), `timeMs` (an integer), `kind` (a well-formed kind), `actor` (`{"user", "keyId"?}`),
    ///   `fields` (an object), `prev` and `hash` (64 lowercase hex digits). Other members are allowed
    ///   (they are covered by `hash`) and ignored.
    init(json: JSONValue) throws(Malformed) {
        guard let object = json.objectValue else { throw Malformed("the line is not a JSON object") }
        guard case .integer(let seq)? = object["seq"], seq >= 1 else {
            throw Malformed("seq: expected an integer of at least 1")
        }
        guard case .integer(let timeMs)? = object["timeMs"] else { throw Malformed("timeMs: expected an integer") }
        guard let kindName = object["kind"]?.stringValue, let kind = AuditKind(rawValue: kindName) else {
            throw Malformed("kind: expected a dotted lowercase name like tool.call")
        }
        guard let actorJSON = object["actor"], let actor = AuditActor(json: actorJSON) else {
            throw Malformed("actor: expected {\"user\": string, \"keyId\"?: string}")
        }
        guard let fields = object["fields"]?.objectValue else { throw Malformed("fields: expected an object") }
        guard let prev = object["prev"]?.stringValue, AuditKey.isHash(prev) else {
            throw Malformed("prev: expected 64 lowercase hex digits")
        }
        guard let hash = object["hash"]?.stringValue, AuditKey.isHash(hash) else {
            throw Malformed("hash: expected 64 lowercase hex digits")
        }
        self.init(seq: seq, timeMs: timeMs, kind: kind, actor: actor, fields: fields, prev: prev, hash: hash)
    }

    /// Why a line is not a record.
    struct Malformed: Error {
        /// The member at fault and what was expected.
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
