#if os(Linux)
import JSON

/// One pass over the log that checks every record (hash, `seq`, `prev`, canonical form) and finally
/// the head, stopping at the first problem; what follows the problem is read only to tell what it
/// looks like (a moved record from a deleted one, an edit from an insertion, a wrong key).
struct AuditVerifier {
    /// What the head file held when the pass started.
    enum HeadState {
        /// No head file (an empty log, or an appender that crashed before writing its first head).
        case missing
        /// A head file that is not a head.
        case malformed(String)
        /// A head.
        case present(AuditHead)
    }

    /// One line, read as a record.
    enum Entry {
        /// A record, whether its hash verifies, and whether the line is its canonical form.
        case record(AuditRecord, authentic: Bool, canonical: Bool)
        /// Not a record: why, and its `seq` when the line had a readable one.
        case malformed(String, seq: Int64?)
    }

    let key: AuditKey
    let head: HeadState
    var reader: AuditLineReader

    private var checked = 0
    private var last: AuditRecord?

    /// A verifier of the lines `reader` yields, against `head`, with `key`.
    init(key: AuditKey, head: HeadState, reader: AuditLineReader) {
        self.key = key
        self.head = head
        self.reader = reader
    }

    /// Checks the log.
    ///
    /// - Returns: The report: records checked and the first problem, if any.
    /// - Throws: `INTERNAL_ERROR` when the file cannot be read.
    mutating func run() throws(AuditError) -> AuditReport {
        while let line = try reader.next() {
            let number = reader.lineNumber
            let expectedSeq = (last?.seq ?? 0) + 1
            let (record, authentic, canonical): (AuditRecord, Bool, Bool)
            switch parse(line) {
            case .malformed(let reason, let seq):
                return report(.malformed, line: number, seq: seq, expected: expectedSeq, reason)
            case .record(let parsed, let isAuthentic, let isCanonical):
                (record, authentic, canonical) = (parsed, isAuthentic, isCanonical)
            }
            if !authentic { return try classifyInauthentic(record, line: number) }
            if !canonical {
                return report(
                    .edited, line: number, seq: record.seq, expected: expectedSeq,
                    "line \(number) is not byte for byte the canonical form of its record: it was rewritten")
            }
            if record.seq != expectedSeq { return try classifySeq(record, line: number, expected: expectedSeq) }
            let expectedPrev = last?.hash ?? AuditRecord.genesisHash
            if record.prev != expectedPrev {
                return report(
                    .forged, line: number, seq: record.seq, expected: expectedSeq,
                    "seq \(record.seq) is signed with the log's key but its prev is not the hash of the record "
                        + "before it: a record of another chain")
            }
            checked += 1
            last = record
        }
        return checkHead()
    }

    // MARK: Classifying a problem

    /// A record whose hash does not verify: a wrong key when nothing verifies, else edited when what
    /// follows (the next record's `prev`, or the head for the last record) still names its hash, else forged.
    private mutating func classifyInauthentic(_ record: AuditRecord, line: Int) throws(AuditError) -> AuditReport {
        let expectedSeq = (last?.seq ?? 0) + 1
        let following = try reader.next()
        var linked = false
        if let following {
            if case .record(let next, _, _) = parse(following) { linked = next.prev == record.hash }
        } else if case .present(let head) = head {
            linked = head.hash == record.hash
        }
        if checked == 0 {
            var anyAuthentic = false
            if case .present(let head) = head { anyAuthentic = head.isAuthentic(under: key) }
            var pending = following
            while !anyAuthentic, let candidate = pending {
                if case .record(_, true, _) = parse(candidate) { anyAuthentic = true }
                pending = try reader.next()
            }
            if !anyAuthentic {
                return report(
                    .wrongKey, line: line, seq: record.seq, expected: expectedSeq,
                    "no record and not the head verify with this key: the log was written with another key")
            }
        }
        if linked {
            return report(
                .edited, line: line, seq: record.seq, expected: expectedSeq,
                "seq \(record.seq) no longer matches its hash, which what follows still names: it was edited")
        }
        return report(
            .forged, line: line, seq: record.seq, expected: expectedSeq,
            "seq \(record.seq) is not signed with the log's key and nothing links to it: it was inserted "
                + "or replaced by someone without the key")
    }

    /// A genuine record out of sequence: moved (its expected seq comes later, or it repeats an
    /// earlier one) or deleted (the seqs it skips appear nowhere).
    private mutating func classifySeq(_ record: AuditRecord, line: Int, expected: Int64) throws(AuditError)
        -> AuditReport
    {
        if record.seq < expected {
            return report(
                .reordered, line: line, seq: record.seq, expected: expected,
                "seq \(record.seq) comes after seq \(expected - 1): records were moved or repeated")
        }
        while let following = try reader.next() {
            if case .record(let later, true, _) = parse(following), later.seq == expected {
                return report(
                    .reordered, line: line, seq: record.seq, expected: expected,
                    "seq \(expected) belongs on line \(line) but is on line \(reader.lineNumber): records were moved")
            }
        }
        let missing = record.seq - expected
        return report(
            .deleted, line: line, seq: record.seq, expected: expected,
            missing == 1
                ? "seq \(expected) is missing before line \(line): a record was deleted"
                : "seq \(expected) to \(record.seq - 1) are missing before line \(line): \(missing) records were deleted"
        )
    }

    /// The head against the last record: the same record, or the one before it (an append whose head
    /// move was interrupted), else truncated (the head is further) or a mismatch.
    private func checkHead() -> AuditReport {
        let lastLine = reader.lineNumber
        let lastSeq = last?.seq ?? 0
        let lastHash = last?.hash ?? AuditRecord.genesisHash
        let current: AuditHead
        switch head {
        case .missing:
            current = .empty
        case .malformed(let reason):
            return report(.headMismatch, line: lastLine, seq: last?.seq, reason)
        case .present(let present):
            guard present.isAuthentic(under: key) else {
                return report(
                    .headMismatch, line: lastLine, seq: last?.seq,
                    "audit.head fails its own check: it was altered, or written with another key")
            }
            current = present
        }
        if current.seq == lastSeq && current.hash == lastHash { return report(nil) }
        if let last, current.seq == last.seq - 1 && current.hash == last.prev { return report(nil) }
        if current.seq > lastSeq {
            return report(
                .truncated, line: lastLine + 1, seq: nil, expected: lastSeq + 1,
                "audit.head names seq \(current.seq) but the file ends at seq \(lastSeq): "
                    + "\(current.seq - lastSeq) record(s) were cut off the end")
        }
        if case .missing = head {
            return report(
                .headMismatch, line: lastLine, seq: last?.seq,
                "audit.head is missing but the file holds \(lastSeq) records")
        }
        return report(
            .headMismatch, line: lastLine, seq: last?.seq,
            "audit.head names seq \(current.seq) but the file ends at seq \(lastSeq)")
    }

    // MARK: Lines

    /// `line` read as a record with this verifier's key.
    private func parse(_ line: AuditLineReader.Line) -> Entry { Self.entry(line, key: key) }

    /// `line` read as a record: its hash checked with `key` against the canonical JSON of every member
    /// but `hash`, and the line compared with the record's canonical form.
    static func entry(_ line: AuditLineReader.Line, key: AuditKey) -> Entry {
        switch line {
        case .overlong(let length):
            return .malformed("the line is \(length) bytes, over the \(AuditLog.maximumLineBytes)-byte limit", seq: nil)
        case .incomplete:
            return .malformed("the last line has no newline: an append was interrupted or the file was cut", seq: nil)
        case .complete(let bytes):
            guard let json = try? JSONParser().parse(bytes: bytes) else {
                return .malformed("the line is not JSON", seq: nil)
            }
            let seq: Int64? = if case .integer(let seq)? = json["seq"] { seq } else { nil }
            let record: AuditRecord
            do {
                record = try AuditRecord(json: json)
            } catch {
                return .malformed(error.reason, seq: seq)
            }
            var members = json.objectValue ?? [:]
            members["hash"] = nil
            let authentic = key.isValid(record.hash, of: JSONValue.object(members).canonicalText)
            let canonical = json.canonicalText.utf8.elementsEqual(bytes)
            return .record(record, authentic: authentic, canonical: canonical)
        }
    }

    // MARK: Reports

    private func report(_ problem: AuditProblem?) -> AuditReport {
        AuditReport(recordsChecked: checked, lastSeq: last?.seq ?? 0, problem: problem)
    }

    private func report(
        _ kind: AuditProblem.Kind, line: Int, seq: Int64?, expected: Int64? = nil, _ message: String
    ) -> AuditReport {
        report(
            AuditProblem(
                kind: kind, line: line, seq: seq, expectedSeq: expected == seq ? nil : expected, message: message)
        )
    }
}
#endif
