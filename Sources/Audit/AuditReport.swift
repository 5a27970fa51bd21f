import JSON

/// What ``AuditLog/verify()`` found: how many records verified before the first problem, and that
/// problem (nil when the whole log and its head are intact).
public struct AuditReport: Sendable, Hashable {
    /// Records whose hash, `seq` and `prev` all checked out, from the first line on (all of them when
    /// the log is intact).
    public var recordsChecked: Int
    /// The `seq` of the last record that checked out (0 when none).
    public var lastSeq: Int64
    /// The first problem, in file order (the head is compared last).
    public var problem: AuditProblem?

    /// A report.
    public init(recordsChecked: Int, lastSeq: Int64, problem: AuditProblem?) {
        self.recordsChecked = recordsChecked
        self.lastSeq = lastSeq
        self.problem = problem
    }

    /// Whether nothing is wrong.
    public var isIntact: Bool { problem == nil }

    /// `{"intact", "recordsChecked", "lastSeq", "problem"}` (`problem` null when intact).
    public var json: JSONValue {
        [
            "intact": .bool(isIntact), "recordsChecked": .integer(Int64(recordsChecked)), "lastSeq": .integer(lastSeq),
            "problem": problem?.json ?? .null,
        ]
    }
}
