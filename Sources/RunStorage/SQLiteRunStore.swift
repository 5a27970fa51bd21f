import Credentials
import Foundation
import GRDB
import JSON
import Policy
import Synchronization
import SystemCalls

/// The embedded run store: SQLite in WAL mode through GRDB.
///
/// Events are append-only (triggers refuse UPDATE and DELETE on them, and DELETE on runs); each
/// event's sequence number is assigned inside the write transaction that inserts it, so concurrent
/// writers can neither lose nor reorder events. A committed event survives a `kill -9` of the
/// process. String values of inputs and event data pass through the redactor's credential patterns
/// before they are written (the executor also redacts the run's own secret values).
public final class SQLiteRunStore: RunStore, @unchecked Sendable {
    let pool: DatabasePool
    let redactor = Redactor()
    /// Wakes subscribers: after each commit of this store, and when `PRAGMA data_version` of a
    /// connection of its own (opened on first subscription) shows another process committed.
    public let changes: RunChangeFeed
    /// The database file.
    public let path: String

    /// Opens (creating and migrating when needed) the store at `path`.
    public init(path: String) throws(RunStoreError) {
        self.path = path
        let probe = Mutex<DatabaseQueue?>(nil)
        changes = RunChangeFeed { [path] in
            probe.withLock { queue -> Int64? in
                if queue == nil {
                    var configuration = Configuration()
                    configuration.readonly = true
                    queue = try? DatabaseQueue(path: path, configuration: configuration)
                }
                return try? queue?.read { db in try Int64.fetchOne(db, sql: "PRAGMA data_version") }
            }
        }
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            // WAL with synchronous=NORMAL: a committed event survives a crash or `kill -9` of the process
            // (only a power loss can drop the last commits), and a commit costs no fsync.
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            let lock = try FileLock(path: path + ".lock")
            defer { lock.release() }
            let existed = FileManager.default.fileExists(atPath: path)
            if !existed {
                FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw RunStoreError(.storeFailure, "opening \(path): \(error)")
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE runs (
                        id TEXT PRIMARY KEY NOT NULL,
                        tool_id TEXT NOT NULL,
                        tool_version TEXT NOT NULL,
                        status TEXT NOT NULL,
                        input TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    );
                    CREATE INDEX runs_by_status ON runs(status, created_at);
                    CREATE TABLE events (
                        run_id TEXT NOT NULL REFERENCES runs(id),
                        sequence INTEGER NOT NULL,
                        type TEXT NOT NULL,
                        timestamp INTEGER NOT NULL,
                        data TEXT NOT NULL,
                        PRIMARY KEY (run_id, sequence)
                    ) WITHOUT ROWID;
                    CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
                        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                    CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
                        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                    CREATE TRIGGER runs_are_kept BEFORE DELETE ON runs
                        BEGIN SELECT RAISE(ABORT, 'runs are kept'); END;
                    """)
        }
        migrator.registerMigration("v2") { db in
            try db.execute(
                sql: """
                    ALTER TABLE runs ADD COLUMN tool_ref TEXT NOT NULL DEFAULT '';
                    ALTER TABLE runs ADD COLUMN package_digest TEXT NOT NULL DEFAULT '';
                    ALTER TABLE runs ADD COLUMN input_digest TEXT NOT NULL DEFAULT '';
                    ALTER TABLE runs ADD COLUMN user TEXT;
                    ALTER TABLE runs ADD COLUMN step TEXT;
                    ALTER TABLE runs ADD COLUMN owner TEXT;
                    ALTER TABLE runs ADD COLUMN result TEXT;
                    ALTER TABLE runs ADD COLUMN replay_of TEXT;
                    ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
                    CREATE INDEX runs_by_tool ON runs(tool_id, created_at);
                    CREATE TABLE tool_runs (
                        run_id TEXT NOT NULL REFERENCES runs(id),
                        attempt INTEGER NOT NULL,
                        tool_id TEXT NOT NULL,
                        tool_version TEXT NOT NULL,
                        input_digest TEXT NOT NULL,
                        output TEXT,
                        status TEXT NOT NULL,
                        exit_code INTEGER,
                        signal INTEGER,
                        wall_ms REAL NOT NULL,
                        cpu_ms REAL NOT NULL,
                        max_rss_kb INTEGER NOT NULL,
                        started_at INTEGER NOT NULL,
                        finished_at INTEGER NOT NULL,
                        PRIMARY KEY (run_id, attempt)
                    ) WITHOUT ROWID;
                    CREATE TRIGGER tool_runs_are_kept BEFORE DELETE ON tool_runs
                        BEGIN SELECT RAISE(ABORT, 'tool runs are kept'); END;
                    CREATE TABLE credential_requests (
                        run_id TEXT NOT NULL REFERENCES runs(id),
                        names TEXT NOT NULL,
                        requested_at INTEGER NOT NULL,
                        resolved_at INTEGER
                    );
                    CREATE INDEX credential_requests_by_run ON credential_requests(run_id);
                    CREATE TABLE approvals (
                        tool_id TEXT NOT NULL,
                        tool_version TEXT NOT NULL,
                        input_digest TEXT NOT NULL,
                        granted_at INTEGER NOT NULL,
                        expires_at INTEGER,
                        approved_by TEXT NOT NULL
                    );
                    CREATE INDEX approvals_by_key ON approvals(tool_id, tool_version, input_digest);
                    CREATE TABLE tool_health (
                        tool_id TEXT PRIMARY KEY NOT NULL,
                        consecutive_failures INTEGER NOT NULL,
                        open_until INTEGER
                    );
                    """)
        }
        migrator.registerMigration("v3") { db in
            try db.execute(
                sql: """
                    ALTER TABLE approvals ADD COLUMN package_digest TEXT NOT NULL DEFAULT '';
                    DROP INDEX approvals_by_key;
                    CREATE INDEX approvals_by_key ON approvals(tool_id, tool_version, input_digest, package_digest);
                    """)
        }
        // Approvals bound to the user whose credentials the call runs with (decision 54); approvals from
        // before (user '') cover no user's call any more.
        migrator.registerMigration("v4") { db in
            try db.execute(sql: "ALTER TABLE approvals ADD COLUMN user TEXT NOT NULL DEFAULT ''")
        }
        // A user's runs, newest first (the endpoint's runs view).
        migrator.registerMigration("v5") { db in
            try db.execute(sql: "CREATE INDEX runs_by_user ON runs(user, created_at)")
        }
        return migrator
    }

    func failure(_ step: String, _ error: any Error) -> RunStoreError {
        if let error = error as? RunStoreError { return error }
        return RunStoreError(.storeFailure, "\(step): \(error)")
    }

    /// `value` with every well-known credential in its strings replaced.
    func redacted(_ value: JSONValue) -> JSONValue { redactor.redact(json: value) }

    static func appendEvent(_ db: Database, runID: String, type: RunEventType, data: String, atMs: Int64)
        throws -> Int64
    {
        // Cached (prepared once per connection): parsing SQL on every event would dominate the cost.
        let select = try db.cachedStatement(sql: "SELECT COALESCE(MAX(sequence), 0) + 1 FROM events WHERE run_id = ?")
        let next = try Int64.fetchOne(select, arguments: [runID]) ?? 1
        let insert = try db.cachedStatement(
            sql: "INSERT INTO events (run_id, sequence, type, timestamp, data) VALUES (?, ?, ?, ?, ?)")
        try insert.execute(arguments: [runID, next, type.rawValue, atMs, data])
        return next
    }

    /// The SQLite implementation of this ``RunStore`` requirement (see the protocol for the contract).
    public func createRun(_ draft: RunDraft, atMs: Int64) throws(RunStoreError) -> RunRecord {
        let stored = redacted(draft.input)
        let data = RunEventPayload.runCreated(
            toolID: draft.toolID, toolVersion: draft.toolVersion,
            toolReference: draft.toolReference.isEmpty ? nil : redactor.redact(draft.toolReference),
            replayOf: draft.replayOf
        ).json
        let inputDigest = draft.inputDigest ?? Approval.digest(of: draft.input)
        do {
            try pool.write { db in
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [draft.id]) == true {
                    throw RunStoreError(.runExists, "run \(draft.id) already exists")
                }
                try db.execute(
                    sql: """
                        INSERT INTO runs (id, tool_id, tool_version, status, input, created_at, updated_at,
                            tool_ref, package_digest, input_digest, user, owner, replay_of)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        draft.id, draft.toolID, draft.toolVersion, RunStatus.created.rawValue, stored.canonicalText,
                        atMs,
                        atMs, draft.toolReference, draft.packageDigest, inputDigest, draft.user, draft.owner,
                        draft.replayOf,
                    ])
                _ = try Self.appendEvent(db, runID: draft.id, type: .runCreated, data: data.canonicalText, atMs: atMs)
            }
        } catch {
            throw failure("create run \(draft.id)", error)
        }
        changes.notify(.events)
        var record = RunRecord(
            id: draft.id, toolID: draft.toolID, toolVersion: draft.toolVersion, status: .created, input: stored,
            createdAtMs: atMs, updatedAtMs: atMs)
        record.toolReference = draft.toolReference
        record.packageDigest = draft.packageDigest
        record.inputDigest = inputDigest
        record.user = draft.user
        record.owner = draft.owner
        record.replayOf = draft.replayOf
        return record
    }

    /// The SQLite implementation of this ``RunStore`` requirement (see the protocol for the contract).
    @discardableResult
    public func append(runID: String, type: RunEventType, data: JSONValue, atMs: Int64) throws(RunStoreError)
        -> RunEvent
    {
        let stored = redacted(data)
        do {
            let sequence = try pool.write { db -> Int64 in
                guard
                    let raw = try String.fetchOne(
                        db.cachedStatement(sql: "SELECT status FROM runs WHERE id = ?"), arguments: [runID])
                else {
                    throw RunStoreError(.runNotFound, "no run \(runID)")
                }
                // A final run's timeline is closed: nothing may be written after its last event.
                if let status = RunStatus(rawValue: raw), status.isFinal {
                    throw RunStoreError(.runFinal, "run \(runID) is \(raw); its timeline is closed")
                }
                return try Self.appendEvent(db, runID: runID, type: type, data: stored.canonicalText, atMs: atMs)
            }
            changes.notify(.events)
            return RunEvent(runID: runID, sequence: sequence, type: type, timestampMs: atMs, data: stored)
        } catch {
            throw failure("append \(type.rawValue) to \(runID)", error)
        }
    }

    /// The SQLite implementation of this ``RunStore`` requirement (see the protocol for the contract).
    @discardableResult
    public func transition(runID: String, change: RunChange, event: RunEventType, data: JSONValue, atMs: Int64)
        throws(RunStoreError) -> RunEvent
    {
        let stored = redacted(data)
        let status = change.status
        do {
            let sequence = try pool.write { db -> Int64 in
                guard
                    let raw = try String.fetchOne(
                        db.cachedStatement(sql: "SELECT status FROM runs WHERE id = ?"), arguments: [runID])
                else { throw RunStoreError(.runNotFound, "no run \(runID)") }
                let current = RunStatus(rawValue: raw) ?? .failed
                if let expected = change.expected, !expected.contains(current) {
                    throw RunStoreError(
                        .invalidTransition,
                        "run \(runID) is \(current.rawValue), not \(expected.map(\.rawValue).sorted().joined(separator: " or "))"
                    )
                }
                guard current.successors.contains(status) else {
                    throw RunStoreError(
                        .invalidTransition, "run \(runID) is \(current.rawValue); it cannot become \(status.rawValue)")
                }
                var assignments = ["status = ?", "updated_at = ?"]
                var arguments: [(any DatabaseValueConvertible)?] = [status.rawValue, atMs]
                if let step = change.step {
                    assignments.append("step = ?")
                    arguments.append(step)
                }
                if let owner = change.owner {
                    assignments.append("owner = ?")
                    arguments.append(owner)
                }
                if let result = change.result {
                    assignments.append("result = ?")
                    arguments.append(redacted(result).canonicalText)
                }
                arguments.append(runID)
                try db.execute(
                    sql: "UPDATE runs SET \(assignments.joined(separator: ", ")) WHERE id = ?",
                    arguments: StatementArguments(arguments))
                return try Self.appendEvent(db, runID: runID, type: event, data: stored.canonicalText, atMs: atMs)
            }
            changes.notify(.events)
            return RunEvent(runID: runID, sequence: sequence, type: event, timestampMs: atMs, data: stored)
        } catch {
            throw failure("transition \(runID) to \(status.rawValue)", error)
        }
    }

    private static func record(_ row: Row) throws -> RunRecord {
        let inputText: String = row["input"]
        var record = RunRecord(
            id: row["id"], toolID: row["tool_id"], toolVersion: row["tool_version"],
            status: RunStatus(rawValue: row["status"]) ?? .failed,
            input: (try? JSONParser().parse(inputText)) ?? .null,
            createdAtMs: row["created_at"], updatedAtMs: row["updated_at"])
        record.toolReference = row["tool_ref"]
        record.packageDigest = row["package_digest"]
        record.inputDigest = row["input_digest"]
        record.user = row["user"]
        record.step = row["step"]
        record.owner = row["owner"]
        let resultText: String? = row["result"]
        record.result = resultText.flatMap { try? JSONParser().parse($0) }
        record.replayOf = row["replay_of"]
        record.cancelRequested = (row["cancel_requested"] as Int64? ?? 0) != 0
        return record
    }

    /// The SQLite implementation of this ``RunStore`` requirement (see the protocol for the contract).
    public func run(id: String) throws(RunStoreError) -> RunRecord? {
        do {
            return try pool.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]).map(Self.record)
            }
        } catch {
            throw failure("read run \(id)", error)
        }
    }

    /// The SQLite implementation of this ``RunStore`` requirement (see the protocol for the contract).
    public func runs(_ query: RunQuery) throws(RunStoreError) -> [RunRecord] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let status = query.status {
            conditions.append("status = ?")
            arguments += [status.rawValue]
        }
        if let user = query.user {
            // A run stored without a user is the local operator's.
            conditions.append(user == "local" ? "(user = ? OR user IS NULL)" : "user = ?")
            arguments += [user]
        }
        if let before = query.before {
            conditions.append("(created_at < ? OR (created_at = ? AND id < ?))")
            arguments += [before.createdAtMs, before.createdAtMs, before.id]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments += [query.limit]
        let sql = "SELECT * FROM runs \(filter) ORDER BY created_at DESC, id DESC LIMIT ?"
        do {
            return try pool.read { db in try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.record) }
        } catch {
            throw failure("list runs", error)
        }
    }

    /// The SQLite implementation of this ``RunStore`` requirement (see the protocol for the contract).
    public func events(runID: String, after sequence: Int64 = 0) throws(RunStoreError) -> [RunEvent] {
        do {
            return try pool.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT * FROM events WHERE run_id = ? AND sequence > ? ORDER BY sequence",
                    arguments: [runID, sequence]
                ).map { row in
                    let dataText: String = row["data"]
                    return RunEvent(
                        runID: row["run_id"], sequence: row["sequence"],
                        type: RunEventType(rawValue: row["type"]) ?? .toolOutput, timestampMs: row["timestamp"],
                        data: (try? JSONParser().parse(dataText)) ?? .null)
                }
            }
        } catch {
            throw failure("read events of \(runID)", error)
        }
    }

    /// The SQLite implementation of this ``RunStore`` requirement (see the protocol for the contract).
    public func markInterrupted(atMs: Int64, includePaused: Bool, isOwnerAlive: (String) -> Bool)
        throws(RunStoreError) -> [String]
    {
        let statuses = [RunStatus.created, .running] + (includePaused ? [.paused] : [])
        do {
            let ids = try pool.write { db in
                let marks = statuses.map { _ in "?" }.joined(separator: ",")
                let rows = try Row.fetchAll(
                    db, sql: "SELECT id, owner, status FROM runs WHERE status IN (\(marks)) ORDER BY created_at",
                    arguments: StatementArguments(statuses.map(\.rawValue)))
                var ids: [String] = []
                for row in rows {
                    let owner: String? = row["owner"]
                    let status: String = row["status"]
                    // A paused run has no driving process; only `includePaused` ends it.
                    if status != RunStatus.paused.rawValue, let owner, isOwnerAlive(owner) { continue }
                    let id: String = row["id"]
                    try db.execute(
                        sql: "UPDATE runs SET status = ?, updated_at = ?, owner = NULL WHERE id = ?",
                        arguments: [RunStatus.interrupted.rawValue, atMs, id])
                    let data: JSONValue = ["reason": "the process running this run ended before it finished"]
                    _ = try Self.appendEvent(db, runID: id, type: .runInterrupted, data: data.canonicalText, atMs: atMs)
                    ids.append(id)
                }
                return ids
            }
            if !ids.isEmpty { changes.notify(.events) }
            return ids
        } catch {
            throw failure("mark interrupted runs", error)
        }
    }
}
