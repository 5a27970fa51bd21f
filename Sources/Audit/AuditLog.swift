import FoundationEssentials
import JSON
import SystemCalls

/// The append-only, hash-chained audit log of one home: `<directory>/audit.jsonl` (the directory 0700,
/// the file 0600), one canonical JSON ``AuditRecord`` per line, each chained to the one before by its
/// `prev` and authenticated by its HMAC-SHA256 `hash`; and `<directory>/audit.head`, the last record's
/// `seq` and `hash` under the same key, so that records cut off the end are noticed too.
///
/// Guarantees:
/// - **Linear.** Appends from any number of threads and processes on one directory are serialized by
///   an exclusive `flock(2)` on `<directory>/audit.lock`; each re-reads the last line under the lock
///   and chains to it, so `seq` runs 1, 2, 3, … without gaps or forks.
/// - **Never rewritten.** A record is written with one `write(2)` to a file opened `O_APPEND` and
///   `fdatasync`ed before the head moves (temporary file, `fsync`, `rename`). Nothing ever rewrites a
///   line: the only cut is of bytes after the last complete line — the debris of an append that failed
///   (undone at once) or was interrupted by a crash (undone by the next append).
/// - **All or nothing.** An append that throws leaves the file and the head as they were.
/// - **Fail closed.** An append never builds on a chain it cannot vouch for: when the file's last line
///   and the head disagree (other than an append interrupted between its record and its head), it
///   throws `AUDIT_CHAIN_BROKEN` and writes nothing, leaving the evidence for ``verify()``.
/// - **No secrets.** `fields` may not hold members named ``forbiddenFieldNames``, at any depth, as a
///   last line of defence; callers put names of credentials in it, never values.
///
/// Deleting the whole directory is not detectable from inside it (a new chain starts at `seq` 1):
/// anchoring the head elsewhere is the defence against that.
public struct AuditLog: Sendable {
    /// The longest line, newline included: 64 KiB. A longer record is refused with `INVALID_INPUT`.
    public static let maximumLineBytes = 65_536

    /// Member names `fields` may not contain at any depth (compared case-insensitively).
    public static let forbiddenFieldNames: Set<String> = ["secret", "value", "token", "password", "authorization"]

    /// The most records ``recent(limit:)`` returns.
    public static let recentLimit = 1_000

    /// The folder of the log (`<home>/audit`).
    public let directory: String
    /// The signing key.
    let key: AuditKey
    /// Milliseconds since the Unix epoch, for `timeMs`.
    private let clock: @Sendable () -> Int64

    /// The records, one per line.
    public var logPath: String { directory + "/audit.jsonl" }
    /// The head: the last record's `seq` and `hash`.
    public var headPath: String { directory + "/audit.head" }
    /// The lock every append (and the start of every verification) takes.
    var lockPath: String { directory + "/audit.lock" }

    /// The log in `directory`, created (0700) when missing; the files are created by the first append.
    ///
    /// - Parameters:
    ///   - directory: The folder (`<home>/audit`); it must be (or become) a directory of this user's,
    ///     not a symbolic link; its mode is set to 0700.
    ///   - key: The key that signs records and the head; every process on the log must use the same.
    ///   - clock: Milliseconds since the Unix epoch, read once per append under the lock (so `timeMs`
    ///     follows `seq` as long as the clock does not go back).
    /// - Throws: `INTERNAL_ERROR` when the directory cannot be made or is unsafe.
    public init(
        directory: String, key: AuditKey, clock: @escaping @Sendable () -> Int64 = AuditLog.currentTimeMs
    ) throws(AuditError) {
        self.directory = directory
        self.key = key
        self.clock = clock
        try AuditFiles.prepareDirectory(directory)
    }

    /// The wall clock in milliseconds since the Unix epoch.
    public static func currentTimeMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// Appends one record, durably, and moves the head to it.
    ///
    /// - Parameters:
    ///   - kind: What it is about.
    ///   - actor: Who did it (a non-empty `user`).
    ///   - fields: Non-secret details; no member named as in ``forbiddenFieldNames``, at any depth.
    /// - Returns: The record as written (its `seq`, `timeMs`, `prev` and `hash` filled in).
    /// - Throws: `INVALID_INPUT` (field `fields.<path>`, `actor.user` or `record`) before touching any
    ///   file; `AUDIT_CHAIN_BROKEN` when the file and the head disagree (nothing is written);
    ///   `INTERNAL_ERROR` when a file cannot be read or written (the file is left as it was).
    @discardableResult
    public func append(_ kind: AuditKind, actor: AuditActor, fields: [String: JSONValue] = [:]) throws(AuditError)
        -> AuditRecord
    {
        try Self.checkFields(fields, path: "fields")
        guard !actor.user.isEmpty else {
            throw AuditError(.invalidInput, "the actor's user is empty", field: "actor.user")
        }
        let widest = AuditRecord(
            seq: .max, timeMs: .min, kind: kind, actor: actor, fields: fields, prev: AuditRecord.genesisHash,
            hash: AuditRecord.genesisHash)
        let widestLine = widest.line.utf8.count + 1
        guard widestLine <= Self.maximumLineBytes else {
            throw AuditError(
                .invalidInput,
                "the record would be about \(widestLine) bytes, over the \(Self.maximumLineBytes)-byte line limit",
                field: "record")
        }

        let lock = try AuditFiles.lock(lockPath)
        defer { lock.release() }
        let fd = try AuditFiles.openForAppending(logPath)
        defer { SystemCall.close(fd) }
        let size = try AuditFiles.size(fd, path: logPath)
        let tail = try self.tail(fd, size: size)

        var record = AuditRecord(
            seq: tail.seq + 1, timeMs: clock(), kind: kind, actor: actor, fields: fields, prev: tail.hash, hash: "")
        record.hash = key.authenticationCode(of: record.signedText)
        let line = Array((record.line + "\n").utf8)

        if tail.keptBytes < size { try AuditFiles.cut(fd, to: tail.keptBytes, path: logPath) }
        try AuditFiles.append(line, to: fd, size: tail.keptBytes, path: logPath)
        do {
            try AuditFiles.replace(
                headPath, with: AuditHead(seq: record.seq, hash: record.hash, key: key).fileBytes, directory: directory)
        } catch {
            try? AuditFiles.cut(fd, to: tail.keptBytes, path: logPath)
            throw error
        }
        return record
    }

    /// Refuses `fields` when a member at any depth is named as in ``forbiddenFieldNames``.
    private static func checkFields(_ fields: [String: JSONValue], path: String) throws(AuditError) {
        for (name, value) in fields {
            let memberPath = path + "." + name
            if forbiddenFieldNames.contains(name.lowercased()) {
                throw AuditError(
                    .invalidInput,
                    "audit fields may not hold a member named \"\(name)\": record names of secrets, never values",
                    field: memberPath)
            }
            try checkValue(value, path: memberPath)
        }
    }

    /// ``checkFields(_:path:)`` for every object inside `value`.
    private static func checkValue(_ value: JSONValue, path: String) throws(AuditError) {
        switch value {
        case .object(let members): try checkFields(members, path: path)
        case .array(let items):
            for (index, item) in items.enumerated() { try checkValue(item, path: "\(path)[\(index)]") }
        default: break
        }
    }

    /// Where the next record chains from: the last complete line's `seq` and `hash` (0 and 64 zeros for
    /// an empty log), checked against the head; and how many bytes to keep (trailing bytes after the
    /// last newline are the debris of an interrupted append, cut before writing).
    ///
    /// - Throws: `AUDIT_CHAIN_BROKEN` when the last line is not a record signed with the key, the head
    ///   is not authentic, or they disagree (other than the record after the head's: an append whose
    ///   head move was interrupted).
    private func tail(_ fd: Int32, size: Int64) throws(AuditError) -> (seq: Int64, hash: String, keptBytes: Int64) {
        let window = Int(min(size, Int64(2 * Self.maximumLineBytes + 1)))
        let windowStart = size - Int64(window)
        let bytes = try AuditFiles.read(fd, from: windowStart, count: window, path: logPath)
        guard bytes.count == window else {
            throw AuditError(.internalError, "read \(logPath): the file shrank while locked")
        }
        let newline = UInt8(ascii: "\n")
        let lastNewline = bytes.lastIndex(of: newline)
        let completeEnd = lastNewline.map { $0 + 1 } ?? 0
        let debris = bytes.count - completeEnd
        if debris >= Self.maximumLineBytes || (lastNewline == nil && windowStart > 0) {
            throw broken("audit.jsonl ends in \(debris) bytes that are no line an append could have left")
        }

        let head = try currentHead()
        guard completeEnd > 0 else {
            guard windowStart == 0, head.seq == 0 else {
                throw broken("audit.head names seq \(head.seq) but audit.jsonl holds no record")
            }
            return (0, AuditRecord.genesisHash, windowStart)
        }
        let lineEnd = completeEnd - 1
        let lineStart = bytes[..<lineEnd].lastIndex(of: newline).map { $0 + 1 } ?? 0
        if lineStart == 0 && windowStart > 0 { throw broken("the last line of audit.jsonl is over the size limit") }
        guard
            case .record(let last, true, _) = AuditVerifier.entry(
                .complete(Array(bytes[lineStart..<lineEnd])), key: key)
        else { throw broken("the last line of audit.jsonl is not a record signed with this log's key") }
        let matchesHead = last.seq == head.seq && last.hash == head.hash
        let followsHead = last.seq == head.seq + 1 && last.prev == head.hash
        guard matchesHead || followsHead else {
            throw broken("audit.jsonl ends at seq \(last.seq) but audit.head names seq \(head.seq)")
        }
        return (last.seq, last.hash, windowStart + Int64(completeEnd))
    }

    /// The head as the file holds it (``AuditHead/empty`` when there is none).
    ///
    /// - Throws: `AUDIT_CHAIN_BROKEN` when it is not a head or not authentic.
    private func currentHead() throws(AuditError) -> AuditHead {
        guard let bytes = try AuditFiles.readHead(headPath) else { return .empty }
        guard let head = try? AuditHead(parsing: bytes), head.isAuthentic(under: key) else {
            throw broken("audit.head is not a head signed with this log's key")
        }
        return head
    }

    /// `AUDIT_CHAIN_BROKEN` with `detail` and the way to learn more.
    private func broken(_ detail: String) -> AuditError {
        AuditError(.chainBroken, "\(detail); nothing was appended (run `omega-exec audit verify`)")
    }
}
