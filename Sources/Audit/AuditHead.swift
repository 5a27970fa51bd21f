import JSON

/// The log's head, `audit.head`: the last record's `seq` and `hash`, authenticated with the log's key
/// (`mac` = HMAC-SHA256 of the canonical `{"hash","seq"}`), as one canonical JSON line.
///
/// The head is replaced atomically after every append, so a file that ends before the head's `seq`
/// has lost records off its end (truncation), which the chain alone cannot show; without the key
/// nobody can write a head that names an earlier record.
struct AuditHead: Sendable, Hashable {
    /// The longest head file read (a head is about 180 bytes).
    static let maximumBytes = 4_096

    /// The last record's seq (0: no record yet).
    let seq: Int64
    /// The last record's hash (``AuditRecord/genesisHash`` when there is none).
    let hash: String
    /// HMAC-SHA256 of ``signedText``, lowercase hex.
    let mac: String

    /// The head of an empty log: what a missing head file stands for.
    static let empty = AuditHead(seq: 0, hash: AuditRecord.genesisHash, mac: "")

    /// The head naming `seq` and `hash`, authenticated with `key`.
    init(seq: Int64, hash: String, key: AuditKey) {
        self.seq = seq
        self.hash = hash
        mac = key.authenticationCode(of: Self.signedText(seq: seq, hash: hash))
    }

    private init(seq: Int64, hash: String, mac: String) {
        self.seq = seq
        self.hash = hash
        self.mac = mac
    }

    /// The head a head file holds.
    ///
    /// - Throws: ``AuditRecord/Malformed`` unless it is one JSON object with an integer `seq` ≥ 0 and
    ///   64-hex `hash` and `mac`, then a newline.
    init(parsing bytes: [UInt8]) throws(AuditRecord.Malformed) {
        guard bytes.last == UInt8(ascii: "\n"), let json = try? JSONParser().parse(bytes: Array(bytes.dropLast())),
            let object = json.objectValue
        else { throw AuditRecord.Malformed("audit.head is not one JSON object and a newline") }
        guard case .integer(let seq)? = object["seq"], seq >= 0,
            let hash = object["hash"]?.stringValue, AuditKey.isHash(hash),
            let mac = object["mac"]?.stringValue, AuditKey.isHash(mac)
        else { throw AuditRecord.Malformed("audit.head lacks an integer seq or a 64-hex hash or mac") }
        self.init(seq: seq, hash: hash, mac: mac)
    }

    /// Whether `mac` authenticates `seq` and `hash` under `key` (the empty head always does).
    func isAuthentic(under key: AuditKey) -> Bool {
        self == .empty || key.isValid(mac, of: Self.signedText(seq: seq, hash: hash))
    }

    /// The file's bytes: the canonical JSON object and a newline.
    var fileBytes: [UInt8] {
        let object: JSONValue = ["seq": .integer(seq), "hash": .string(hash), "mac": .string(mac)]
        return Array((object.canonicalText + "\n").utf8)
    }

    /// The text the mac authenticates.
    private static func signedText(seq: Int64, hash: String) -> String {
        JSONValue.object(["seq": .integer(seq), "hash": .string(hash)]).canonicalText
    }
}
