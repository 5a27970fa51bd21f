import JSON

/// The first thing ``AuditLog/verify()`` found wrong: where (the line of `audit.jsonl`), which record,
/// and what it looks like.
public struct AuditProblem: Sendable, Hashable {
    /// What the problem looks like. The raw values are stable (the CLI's JSON and the tests use them).
    public enum Kind: String, Sendable, CaseIterable {
        /// A record's content no longer matches its `hash`, and the record after it (or the head) still
        /// names that hash: it was changed after it was written. A line re-serialized in another form
        /// than the canonical one is also `edited`.
        case edited
        /// A record's `seq` comes after a later one, or repeats: records were moved or copied.
        case reordered
        /// One or more `seq` numbers are missing from the middle, and appear nowhere later: records
        /// were removed.
        case deleted
        /// The head names a later record than the file's last: records were cut off the end.
        case truncated
        /// A record is not signed with the log's key and nothing links to it (inserted by someone
        /// without the key), or is signed but does not link to the record before it (from another chain).
        case forged
        /// Neither the first record nor any other, nor the head, verifies with this key: the log was
        /// written with another key.
        case wrongKey = "wrong_key"
        /// A line is not a record: not JSON, a member missing or of the wrong type, over the size limit,
        /// or an incomplete last line (no newline: an interrupted append).
        case malformed
        /// The head file is missing (with records in the file), not a head, fails its own check, or names
        /// another record than the file's last.
        case headMismatch = "head_mismatch"
    }

    /// What it looks like.
    public var kind: Kind
    /// The 1-based line of `audit.jsonl`: the line at fault; for `truncated`, the line after the last
    /// (where the first missing record belongs); for `head_mismatch`, the last line (the record the
    /// head should name), 0 when the file is empty.
    public var line: Int
    /// The `seq` of the record on that line, when the line holds one.
    public var seq: Int64?
    /// The `seq` the chain expected on that line, when it differs from ``seq`` or there is no record.
    public var expectedSeq: Int64?
    /// One sentence for people.
    public var message: String

    /// A problem.
    public init(kind: Kind, line: Int, seq: Int64?, expectedSeq: Int64? = nil, message: String) {
        self.kind = kind
        self.line = line
        self.seq = seq
        self.expectedSeq = expectedSeq
        self.message = message
    }

    /// `{"kind", "line", "seq", "expectedSeq", "message"}` (`seq` and `expectedSeq` null when unknown).
    public var json: JSONValue {
        [
            "kind": .string(kind.rawValue), "line": .integer(Int64(line)), "seq": seq.map(JSONValue.integer) ?? .null,
            "expectedSeq": expectedSeq.map(JSONValue.integer) ?? .null, "message": .string(message),
        ]
    }
}
