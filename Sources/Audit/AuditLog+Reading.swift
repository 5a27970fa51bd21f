import JSON
import SystemCalls

extension AuditLog {
    /// Checks the whole log: every record's hash, `seq` and `prev`, each line's canonical form, and the
    /// head against the last record, stopping at the first problem.
    ///
    /// The head and the file's length are read together under the log's lock, then the file is read
    /// up to that length without it (records are never rewritten), so appends meanwhile neither wait
    /// for the whole read nor confuse it. A record written by an append whose head move was
    /// interrupted (the head one record behind it) is accepted, as the next append accepts it.
    ///
    /// - Returns: Records checked and the first problem (line, seq, kind), if any.
    /// - Throws: `INTERNAL_ERROR` only when a file cannot be read; every finding is in the report.
    public func verify() throws(AuditError) -> AuditReport {
        let lock = try AuditFiles.lock(lockPath)
        let headBytes: [UInt8]?
        let fd: Int32?
        let size: Int64
        do {
            headBytes = try AuditFiles.readHead(headPath)
            fd = try AuditFiles.openForReading(logPath)
            size = try fd.map { (fd) throws(AuditError) in try AuditFiles.size(fd, path: logPath) } ?? 0
        } catch {
            lock.release()
            throw error
        }
        lock.release()
        defer { fd.map(SystemCall.close) }

        let head: AuditVerifier.HeadState
        switch headBytes {
        case nil:
            head = .missing
        case let bytes?:
            do throws(AuditRecord.Malformed) {
                head = .present(try AuditHead(parsing: bytes))
            } catch {
                head = .malformed(error.reason)
            }
        }
        let reader = AuditLineReader(fd: fd, limit: size, maximumLineBytes: Self.maximumLineBytes, path: logPath)
        var verifier = AuditVerifier(key: key, head: head, reader: reader)
        return try verifier.run()
    }

    /// The last `limit` records (at most ``recentLimit``), oldest first, read backwards from the end of
    /// the file. Lines that are not records are skipped (``verify()`` reports them); the records are
    /// not verified.
    ///
    /// - Throws: `INTERNAL_ERROR` when the file cannot be read.
    public func recent(limit: Int) throws(AuditError) -> [AuditRecord] {
        let count = min(max(limit, 0), Self.recentLimit)
        guard count > 0, let fd = try AuditFiles.openForReading(logPath) else { return [] }
        defer { SystemCall.close(fd) }
        var offset = try AuditFiles.size(fd, path: logPath)
        var chunks: [[UInt8]] = []
        var newlines = 0
        let newline = UInt8(ascii: "\n")
        while offset > 0 && newlines <= count {
            let step = min(offset, 1 << 18)
            offset -= step
            let chunk = try AuditFiles.read(fd, from: offset, count: Int(step), path: logPath)
            newlines += chunk.reduce(0) { $0 + ($1 == newline ? 1 : 0) }
            chunks.append(chunk)
        }
        let bytes = Array(chunks.reversed().joined())
        var lines = bytes.split(separator: newline, omittingEmptySubsequences: false)
        lines.removeLast()  // after the last newline: empty, or the debris of an interrupted append
        if offset > 0, !lines.isEmpty { lines.removeFirst() }  // begins mid-line
        return lines.suffix(count).compactMap { line in
            guard let json = try? JSONParser().parse(bytes: Array(line)) else { return nil }
            return try? AuditRecord(json: json)
        }
    }
}
