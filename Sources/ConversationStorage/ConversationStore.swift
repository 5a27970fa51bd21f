import FoundationEssentials
import GRDB
import JSON
import SystemCalls

/// The conversations of the HTTP endpoint (PRD data model: conversation, message, tool run, plan,
/// credential request) and each conversation's event stream, in SQLite (WAL, through GRDB) at one file
/// (`<OMEGA_HOME>/conversations.sqlite`), beside the run store that holds the runs its tool calls are.
///
/// Guarantees:
/// - At most one message of a conversation runs at a time: ``beginMessage(_:)`` checks and claims the
///   conversation in one write transaction, in every process on the home.
/// - A conversation's events are numbered from 1 without gaps (the number is taken in the insert's
///   transaction), so a stream resumed after event N misses nothing and repeats nothing.
/// - Nothing is deleted; a message whose process died (`kill -9`) becomes `interrupted` at the next
///   open (``recoverInterrupted(isAlive:nowMs:)``), with an event saying so.
/// - The file is created 0600; a schema newer than this code is refused, never altered.
public final class ConversationStore: Sendable {
    let pool: DatabasePool
    /// The database file.
    public let path: String

    static let schemaVersion = 1

    /// Opens (creating and migrating when needed) the store at `path`; its directory must exist.
    ///
    /// - Throws: naming the file when it cannot be opened, is not a database, or is newer than this code.
    public init(path: String) throws(ConversationStoreError) {
        self.path = path
        let lock: FileLock
        do throws(SystemCallError) {
            lock = try FileLock.openingDatabase(at: path)
        } catch {
            throw ConversationStoreError("opening \(path): \(error.step): \(error.errno.message)")
        }
        defer { lock.release() }
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            pool = try DatabasePool(path: path, configuration: configuration)
            if try pool.read({ db in try Int.fetchOne(db, sql: "PRAGMA user_version") }) != Self.schemaVersion {
                try pool.write { db in try Self.migrate(db, path: path) }
            }
        } catch let error as ConversationStoreError {
            throw error
        } catch {
            throw ConversationStoreError("opening \(path): \(error)")
        }
    }

    private static func migrate(_ db: Database, path: String) throws {
        let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        switch version {
        case schemaVersion:
            return
        case 0:
            try db.execute(
                sql: """
                    CREATE TABLE conversations (
                        id TEXT PRIMARY KEY NOT NULL,
                        owner TEXT NOT NULL,
                        title TEXT,
                        state TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        input_tokens INTEGER NOT NULL DEFAULT 0,
                        output_tokens INTEGER NOT NULL DEFAULT 0
                    ) WITHOUT ROWID;
                    CREATE INDEX conversations_by_owner ON conversations(owner, updated_at);
                    CREATE TABLE messages (
                        id TEXT PRIMARY KEY NOT NULL,
                        conversation_id TEXT NOT NULL REFERENCES conversations(id),
                        seq INTEGER NOT NULL,
                        role TEXT NOT NULL,
                        author TEXT NOT NULL,
                        key_id TEXT,
                        content TEXT NOT NULL,
                        status TEXT NOT NULL,
                        reply_to TEXT,
                        model TEXT,
                        error TEXT,
                        transcript TEXT,
                        tool_call_count INTEGER NOT NULL DEFAULT 0,
                        input_tokens INTEGER NOT NULL DEFAULT 0,
                        output_tokens INTEGER NOT NULL DEFAULT 0,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        owner_process TEXT,
                        UNIQUE (conversation_id, seq)
                    ) WITHOUT ROWID;
                    CREATE INDEX messages_running ON messages(status) WHERE status = 'running';
                    CREATE TABLE tool_calls (
                        id TEXT PRIMARY KEY NOT NULL,
                        conversation_id TEXT NOT NULL,
                        message_id TEXT NOT NULL REFERENCES messages(id),
                        idx INTEGER NOT NULL,
                        call_id TEXT NOT NULL,
                        name TEXT NOT NULL,
                        tool_id TEXT,
                        arguments TEXT NOT NULL,
                        run_id TEXT,
                        status TEXT NOT NULL,
                        result TEXT,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX tool_calls_by_conversation ON tool_calls(conversation_id, created_at);
                    CREATE INDEX tool_calls_by_run ON tool_calls(run_id);
                    CREATE TABLE plans (
                        id TEXT PRIMARY KEY NOT NULL,
                        conversation_id TEXT NOT NULL REFERENCES conversations(id),
                        request TEXT NOT NULL,
                        author TEXT NOT NULL,
                        response TEXT NOT NULL,
                        message_id TEXT,
                        chosen INTEGER,
                        created_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX plans_by_conversation ON plans(conversation_id, created_at);
                    CREATE TABLE credential_requests (
                        id TEXT PRIMARY KEY NOT NULL,
                        conversation_id TEXT NOT NULL REFERENCES conversations(id),
                        message_id TEXT NOT NULL,
                        run_id TEXT NOT NULL,
                        tool_id TEXT NOT NULL,
                        missing TEXT NOT NULL,
                        status TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        resolved_at INTEGER,
                        resolved_by TEXT
                    ) WITHOUT ROWID;
                    CREATE INDEX credential_requests_by_conversation ON credential_requests(conversation_id, status);
                    CREATE TABLE events (
                        conversation_id TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        message_id TEXT NOT NULL,
                        type TEXT NOT NULL,
                        data TEXT NOT NULL,
                        at INTEGER NOT NULL,
                        PRIMARY KEY (conversation_id, seq)
                    ) WITHOUT ROWID;
                    PRAGMA user_version = 1;
                    """)
        default:
            throw ConversationStoreError("\(path) has schema version \(version); this program knows \(schemaVersion)")
        }
    }

    /// Now, in milliseconds since the Unix epoch.
    public static func currentTimeMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// `error` as a ``ConversationStoreError`` naming `step`.
    func failure(_ step: String, _ error: any Error) -> ConversationStoreError {
        if let error = error as? ConversationStoreError { return error }
        return ConversationStoreError("\(step): \(error)")
    }

    /// Runs `body` in a write transaction, its errors named by `step`.
    func write<T: Sendable>(_ step: String, _ body: (Database) throws -> T) throws(ConversationStoreError) -> T {
        do {
            return try pool.write(body)
        } catch {
            throw failure(step, error)
        }
    }

    /// Runs `body` in a read transaction, its errors named by `step`.
    func read<T: Sendable>(_ step: String, _ body: (Database) throws -> T) throws(ConversationStoreError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw failure(step, error)
        }
    }

    static func text(_ value: JSONValue?) -> String? { value.map(\.jsonText) }

    static func json(_ text: String?) -> JSONValue? {
        guard let text else { return nil }
        return try? JSONParser().parse(text)
    }
}
