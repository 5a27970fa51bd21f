import GRDB
import JSON

/// Tool executions, credential requests, cancellation requests and the circuit breaker's state.
extension SQLiteRunStore {
    /// The SQLite implementation of this ``RunStore`` requirement (see the protocol for the contract).
    public func requestCancel(runID: String, atMs: Int64) throws(RunStoreError) -> Bool {
        do {
            let requested = try pool.write { db -> Bool in
                guard let raw = try String.fetchOne(db, sql: "SELECT status FROM runs WHERE id = ?", arguments: [runID])
                else { throw RunStoreError(.runNotFound, "no run \(runID)") }
                guard let status = RunStatus(rawValue: raw), !status.isFinal else { return false }
                try db.execute(sql: "UPDATE runs SET cancel_requested = 1 WHERE id = ?", arguments: [runID])
                _ = try Self.appendEvent(
                    db, runID: runID, type: .cancelRequested,
                    data: (["status": .string(raw)] as JSONValue).canonicalText,
                    atMs: atMs)
                return true
            }
            if requested { changes.notify([.events, .cancellation]) }
            return requested
        } catch {
            throw failure("request cancellation of \(runID)", error)
        }
    }

    /// The SQLite implementation of this ``RunStore`` requirement (see the protocol for the contract).
    public func cancelRequested(among runIDs: [String]) throws(RunStoreError) -> [String] {
        guard !runIDs.isEmpty else { return [] }
        do {
            return try pool.read { db in
                let marks = runIDs.map { _ in "?" }.joined(separator: ",")
                return try String.fetchAll(
                    db, sql: "SELECT id FROM runs WHERE cancel_requested = 1 AND id IN (\(marks))",
                    arguments: StatementArguments(runIDs))
            }
        } catch {
            throw failure("read cancellation requests", error)
        }
    }

    /// The SQLite implementation of this ``RunStore`` requirement (see the protocol for the contract).
    public func recordToolRun(_ record: ToolRunRecord) throws(RunStoreError) {
        let output = record.output.map { redacted($0).canonicalText }
        do {
            try pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO tool_runs (run_id, attempt, tool_id, tool_version, input_digest, output, status,
                            exit_code, signal, wall_ms, cpu_ms, max_rss_kb, started_at, finished_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        record.runID, record.attempt, record.toolID, record.toolVersion, record.inputDigest, output,
                        record.status, record.exitCode, record.signal, record.wallMs, record.cpuMs, record.maxRssKb,
                        record.startedAtMs, record.finishedAtMs,
                    ])
            }
        } catch {
            throw failure("record tool run of \(record.runID)", error)
        }
    }

    /// The SQLite implementation of this ``RunStore`` requirement (see the protocol for the contract).
    public func toolRuns(runID: String) throws(RunStoreError) -> [ToolRunRecord] {
        do {
            return try pool.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT * FROM tool_runs WHERE run_id = ? ORDER BY attempt", arguments: [runID]
                )
                .map { row in
                    let output: String? = row["output"]
                    return ToolRunRecord(
                        runID: row["run_id"], attempt: row["attempt"], toolID: row["tool_id"],
                        toolVersion: row["tool_version"], inputDigest: row["input_digest"],
                        output: output.flatMap { try? JSONParser().parse($0) }, status: row["status"],
                        exitCode: row["exit_code"], signal: row["signal"], wallMs: row["wall_ms"],
                        cpuMs: row["cpu_ms"], maxRssKb: row["max_rss_kb"], startedAtMs: row["started_at"],
                        finishedAtMs: row["finished_at"])
                }
            }
        } catch {
            throw failure("read tool runs of \(runID)", error)
        }
    }

    /// The SQLite implementation of this ``RunStore`` requirement (see the protocol for the contract).
    public func recordCredentialRequest(runID: String, names: [String], atMs: Int64) throws(RunStoreError) {
        let list = JSONValue.array(names.map { .string($0) }).canonicalText
        do {
            try pool.write { db in
                try db.execute(
                    sql: "INSERT INTO credential_requests (run_id, names, requested_at) VALUES (?, ?, ?)",
                    arguments: [runID, list, atMs])
            }
        } catch {
            throw failure("record credential request of \(runID)", error)
        }
    }

    /// The SQLite implementation of this ``RunStore`` requirement (see the protocol for the contract).
    public func resolveCredentialRequests(runID: String, atMs: Int64) throws(RunStoreError) {
        do {
            try pool.write { db in
                try db.execute(
                    sql: "UPDATE credential_requests SET resolved_at = ? WHERE run_id = ? AND resolved_at IS NULL",
                    arguments: [atMs, runID])
            }
        } catch {
            throw failure("resolve credential requests of \(runID)", error)
        }
    }

    /// The SQLite implementation of this ``RunStore`` requirement (see the protocol for the contract).
    public func credentialRequests(runID: String) throws(RunStoreError) -> [CredentialRequestRecord] {
        do {
            return try pool.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT * FROM credential_requests WHERE run_id = ? ORDER BY requested_at, rowid",
                    arguments: [runID]
                ).map { row in
                    let names: String = row["names"]
                    let list = (try? JSONParser().parse(names))?.arrayValue?.compactMap(\.stringValue) ?? []
                    return CredentialRequestRecord(
                        runID: row["run_id"], names: list, requestedAtMs: row["requested_at"],
                        resolvedAtMs: row["resolved_at"])
                }
            }
        } catch {
            throw failure("read credential requests of \(runID)", error)
        }
    }

    /// The SQLite implementation of this ``RunStore`` requirement (see the protocol for the contract).
    public func runSummary(toolID: String, version: String?, limit: Int) throws(RunStoreError) -> ToolRunSummary {
        let finished = [RunStatus.completed, .failed, .cancelled, .interrupted].map { "'\($0.rawValue)'" }
            .joined(separator: ",")
        let versionClause = version == nil ? "" : " AND tool_version = ?"
        var arguments: StatementArguments = [toolID]
        if let version { arguments += [version] }
        arguments += [max(0, limit)]
        do {
            return try pool.read { db in
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT COUNT(*) AS finished, COALESCE(SUM(status = 'completed'), 0) AS completed FROM (
                          SELECT status FROM runs WHERE tool_id = ?\(versionClause) AND status IN (\(finished))
                          ORDER BY created_at DESC LIMIT ?)
                        """, arguments: arguments)
                return ToolRunSummary(finished: row?["finished"] ?? 0, completed: row?["completed"] ?? 0)
            }
        } catch {
            throw failure("summarize the runs of \(toolID)", error)
        }
    }

    /// The SQLite implementation of this ``RunStore`` requirement (see the protocol for the contract).
    public func toolHealth(toolID: String) throws(RunStoreError) -> ToolHealth {
        do {
            return try pool.read { db in
                guard
                    let row = try Row.fetchOne(
                        db, sql: "SELECT * FROM tool_health WHERE tool_id = ?", arguments: [toolID])
                else { return ToolHealth(toolID: toolID) }
                return ToolHealth(
                    toolID: toolID, consecutiveFailures: row["consecutive_failures"], openUntilMs: row["open_until"])
            }
        } catch {
            throw failure("read the health of \(toolID)", error)
        }
    }

    /// The SQLite implementation of this ``RunStore`` requirement (see the protocol for the contract).
    @discardableResult
    public func recordToolOutcome(toolID: String, success: Bool, threshold: Int, cooldownMs: Int64, atMs: Int64)
        throws(RunStoreError) -> ToolHealth
    {
        do {
            return try pool.write { db in
                let row = try Row.fetchOne(db, sql: "SELECT * FROM tool_health WHERE tool_id = ?", arguments: [toolID])
                var health = ToolHealth(
                    toolID: toolID, consecutiveFailures: row?["consecutive_failures"] ?? 0,
                    openUntilMs: row?["open_until"])
                if success {
                    health.consecutiveFailures = 0
                    health.openUntilMs = nil
                } else {
                    health.consecutiveFailures += 1
                    // Open at the threshold; a failed trial call after the cooldown (half-open) opens it again.
                    if health.consecutiveFailures >= threshold { health.openUntilMs = atMs + cooldownMs }
                }
                try db.execute(
                    sql: """
                        INSERT INTO tool_health (tool_id, consecutive_failures, open_until) VALUES (?, ?, ?)
                        ON CONFLICT(tool_id) DO UPDATE SET consecutive_failures = excluded.consecutive_failures,
                            open_until = excluded.open_until
                        """,
                    arguments: [toolID, health.consecutiveFailures, health.openUntilMs])
                return health
            }
        } catch {
            throw failure("record the outcome of \(toolID)", error)
        }
    }
}
