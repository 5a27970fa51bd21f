import Foundation
import GRDB
import Manifest

/// The embedded run store: SQLite in WAL mode through GRDB.
///
/// Events are append-only (triggers refuse UPDATE and DELETE on them, and DELETE on runs); each
/// event's sequence number is assigned inside the write transaction that inserts it, so concurrent
/// writers can neither lose nor reorder events. A committed event survives a `kill -9` of the
/// process. String values of inputs and event data pass through the redactor's credential patterns
/// before they are written (the executor also redacts the run's own secret values).
public final class SQLiteRunStore: RunStore {
    private let pool: DatabasePool
    private let redactor = Redactor()
    /// The database file.
    public let path: String

    /// Opens (creating and migrating when needed) the store at `path`.
    public init(path: String) throws(RunStoreError) {
        self.path = path
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw RunStoreError(code: "STORE_FAILURE", message: "opening \(path): \(error)")
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
        return migrator
    }

    private func failure(_ step: String, _ error: any Error) -> RunStoreError {
        if let error = error as? RunStoreError { return error }
        return RunStoreError(code: "STORE_FAILURE", message: "\(step): \(error)")
    }

    /// `value` with every well-known credential in its strings replaced.
    private func redacted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s): return .string(redactor.redact(s))
        case .array(let items): return .array(items.map(redacted))
        case .object(let members): return .object(members.mapValues(redacted))
        default: return value
        }
    }

    private static func appendEvent(_ db: Database, runID: String, type: RunEventType, data: String, atMs: Int64)
        throws -> Int64
    {
        let next = try Int64.fetchOne(
            db, sql: "SELECT COALESCE(MAX(sequence), 0) + 1 FROM events WHERE run_id = ?", arguments: [runID]) ?? 1
        try db.execute(
            sql: "INSERT INTO events (run_id, sequence, type, timestamp, data) VALUES (?, ?, ?, ?, ?)",
            arguments: [runID, next, type.rawValue, atMs, data])
        return next
    }

    public func createRun(id: String, toolID: String, toolVersion: String, input: JSONValue, atMs: Int64)
        throws(RunStoreError) -> RunRecord
    {
        let stored = redacted(input)
        let data: JSONValue = ["toolID": .string(toolID), "toolVersion": .string(toolVersion)]
        do {
            try pool.write { db in
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [id]) == true {
                    throw RunStoreError(code: "RUN_EXISTS", message: "run \(id) already exists")
                }
                try db.execute(
                    sql: """
                        INSERT INTO runs (id, tool_id, tool_version, status, input, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [id, toolID, toolVersion, RunStatus.created.rawValue, stored.canonicalText, atMs, atMs])
                _ = try Self.appendEvent(db, runID: id, type: .runCreated, data: data.canonicalText, atMs: atMs)
            }
        } catch {
            throw failure("create run \(id)", error)
        }
        return RunRecord(id: id, toolID: toolID, toolVersion: toolVersion, status: .created, input: stored,
                         createdAtMs: atMs, updatedAtMs: atMs)
    }

    @discardableResult
    public func append(runID: String, type: RunEventType, data: JSONValue, atMs: Int64) throws(RunStoreError)
        -> RunEvent
    {
        let stored = redacted(data)
        do {
            let sequence = try pool.write { db -> Int64 in
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [runID]) == true else {
                    throw RunStoreError(code: "RUN_NOT_FOUND", message: "no run \(runID)")
                }
                return try Self.appendEvent(db, runID: runID, type: type, data: stored.canonicalText, atMs: atMs)
            }
            return RunEvent(runID: runID, sequence: sequence, type: type, timestampMs: atMs, data: stored)
        } catch {
            throw failure("append \(type.rawValue) to \(runID)", error)
        }
    }

    @discardableResult
    public func transition(runID: String, to status: RunStatus, event: RunEventType, data: JSONValue, atMs: Int64)
        throws(RunStoreError) -> RunEvent
    {
        let stored = redacted(data)
        do {
            let sequence = try pool.write { db -> Int64 in
                guard let raw = try String.fetchOne(db, sql: "SELECT status FROM runs WHERE id = ?", arguments: [runID])
                else { throw RunStoreError(code: "RUN_NOT_FOUND", message: "no run \(runID)") }
                let current = RunStatus(rawValue: raw) ?? .failed
                guard current.successors.contains(status) else {
                    throw RunStoreError(
                        code: "INVALID_TRANSITION", message: "run \(runID) is \(current.rawValue); it cannot become \(status.rawValue)")
                }
                try db.execute(
                    sql: "UPDATE runs SET status = ?, updated_at = ? WHERE id = ?", arguments: [status.rawValue, atMs, runID])
                return try Self.appendEvent(db, runID: runID, type: event, data: stored.canonicalText, atMs: atMs)
            }
            return RunEvent(runID: runID, sequence: sequence, type: event, timestampMs: atMs, data: stored)
        } catch {
            throw failure("transition \(runID) to \(status.rawValue)", error)
        }
    }

    private static func record(_ row: Row) throws -> RunRecord {
        let inputText: String = row["input"]
        return RunRecord(
            id: row["id"], toolID: row["tool_id"], toolVersion: row["tool_version"],
            status: RunStatus(rawValue: row["status"]) ?? .failed,
            input: (try? JSONParser().parse(inputText)) ?? .null,
            createdAtMs: row["created_at"], updatedAtMs: row["updated_at"])
    }

    public func run(id: String) throws(RunStoreError) -> RunRecord? {
        do {
            return try pool.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]).map(Self.record)
            }
        } catch {
            throw failure("read run \(id)", error)
        }
    }

    public func runs(status: RunStatus? = nil, limit: Int = 100) throws(RunStoreError) -> [RunRecord] {
        do {
            return try pool.read { db in
                let rows: [Row]
                if let status {
                    rows = try Row.fetchAll(
                        db, sql: "SELECT * FROM runs WHERE status = ? ORDER BY created_at DESC, id LIMIT ?",
                        arguments: [status.rawValue, limit])
                } else {
                    rows = try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY created_at DESC, id LIMIT ?", arguments: [limit])
                }
                return try rows.map(Self.record)
            }
        } catch {
            throw failure("list runs", error)
        }
    }

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

    public func markInterrupted(atMs: Int64, includePaused: Bool = false) throws(RunStoreError) -> [String] {
        let statuses = [RunStatus.created, .running] + (includePaused ? [.paused] : [])
        do {
            return try pool.write { db in
                let marks = statuses.map { _ in "?" }.joined(separator: ",")
                let ids = try String.fetchAll(
                    db, sql: "SELECT id FROM runs WHERE status IN (\(marks)) ORDER BY created_at",
                    arguments: StatementArguments(statuses.map(\.rawValue)))
                for id in ids {
                    try db.execute(
                        sql: "UPDATE runs SET status = ?, updated_at = ? WHERE id = ?",
                        arguments: [RunStatus.interrupted.rawValue, atMs, id])
                    let data: JSONValue = ["reason": "the process running this run ended before it finished"]
                    _ = try Self.appendEvent(db, runID: id, type: .runInterrupted, data: data.canonicalText, atMs: atMs)
                }
                return ids
            }
        } catch {
            throw failure("mark interrupted runs", error)
        }
    }
}
