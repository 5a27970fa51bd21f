import Foundation
import GRDB
import JSON
import SystemCalls
import ToolPackage

/// The embedded registry store: SQLite in WAL mode through GRDB, at one file
/// (`<OMEGA_HOME>/registry.sqlite`).
///
/// The file is created 0600; its schema version is `PRAGMA user_version` (a newer schema than this
/// code knows is refused, never altered). Several stores, in this process or others, may open the same
/// file at once: reads see the last committed write, writes wait for each other (up to a minute).
/// Every write is one transaction, so a crash or a failed import leaves the registry as it was.
///
/// One row of `entries` per (id, version precedence, origin) holds the searchable columns; a row of
/// `documents` with the same row id holds the entry's canonical JSON line (``RegistryEntry/json``):
/// comparing it tells an unchanged entry from an updated one, and decoding it gives the whole entry
/// back. Scans over every entry read only the first table.
public final class SQLiteRegistryStore: RegistryStore, @unchecked Sendable {
    let pool: DatabasePool
    /// The database file.
    public let path: String

    /// The schema version this code reads and writes: 2 (1 kept each entry's document in its row).
    static let schemaVersion = 2

    /// Opens (creating and migrating when needed) the store at `path`.
    ///
    /// - Throws: `REGISTRY_STORE_FAILED` naming the file when it cannot be opened or created, is not a
    ///   database, or has a schema newer than this code.
    public init(path: String) throws(RegistryError) {
        self.path = path
        let lock: FileLock
        do throws(SystemCallError) {
            lock = try FileLock.openingDatabase(at: path)
        } catch {
            throw RegistryError(.storeFailed, "opening \(path): \(error.step): \(error.errno.message)")
        }
        defer { lock.release() }
        do {
            var configuration = Configuration()
            // An import of a large index holds the write lock for seconds; other writers wait for it.
            configuration.busyMode = .timeout(60)
            configuration.prepareDatabase { db in
                // WAL with synchronous=NORMAL: a commit survives a crash of the process; only a power loss
                // can drop the last commits. The log is truncated back to 64 MiB after a checkpoint.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
                // 8 MiB of page cache per connection (SQLite's default is 2): a million-entry import is
                // about 15 % faster, and a pool's few connections stay small.
                try db.execute(sql: "PRAGMA cache_size = -8192")
            }
            pool = try DatabasePool(path: path, configuration: configuration)
            // A write only when the schema must change: an open never waits for another process's
            // import (which holds the write lock for seconds).
            if try pool.read({ db in try Int.fetchOne(db, sql: "PRAGMA user_version") }) != Self.schemaVersion {
                try pool.write { db in try Self.migrate(db, path: path) }
            }
        } catch let error as RegistryError {
            throw error
        } catch {
            throw RegistryError(.storeFailed, "opening \(path): \(error)")
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
                    CREATE TABLE entries (
                        row_id INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL,
                        version_key BLOB NOT NULL,
                        origin INTEGER NOT NULL,
                        version TEXT NOT NULL,
                        title TEXT,
                        description TEXT NOT NULL,
                        keywords TEXT NOT NULL,
                        binding TEXT,
                        risk_level TEXT,
                        scopes TEXT NOT NULL,
                        env_required TEXT NOT NULL,
                        yanked TEXT,
                        UNIQUE (id, version_key, origin)
                    );
                    CREATE INDEX entries_yanked ON entries(yanked) WHERE yanked IS NOT NULL;
                    CREATE TABLE documents (
                        row_id INTEGER PRIMARY KEY,
                        document TEXT NOT NULL
                    );
                    CREATE TABLE meta (
                        key TEXT PRIMARY KEY NOT NULL,
                        value INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    INSERT INTO meta (key, value) VALUES ('generation', 0), ('index_generation', 0);
                    CREATE TABLE pins (
                        user TEXT NOT NULL,
                        id TEXT NOT NULL,
                        version TEXT,
                        pinned_at INTEGER NOT NULL,
                        PRIMARY KEY (user, id)
                    ) WITHOUT ROWID;
                    """)
        case 1:
            // The documents move to a table of their own: the scans over every entry read only the
            // searchable columns.
            try db.execute(
                sql: """
                    CREATE TABLE documents (
                        row_id INTEGER PRIMARY KEY,
                        document TEXT NOT NULL
                    );
                    INSERT INTO documents (row_id, document) SELECT row_id, document FROM entries;
                    ALTER TABLE entries DROP COLUMN document;
                    """)
        default:
            throw RegistryError(
                .storeFailed,
                "\(path): schema version \(version) is not one this version of omega-exec reads (\(schemaVersion))")
        }
        // Local entries (installed, starter) are few: a partial index finds them without a scan of all.
        try db.execute(
            sql: """
                CREATE INDEX entries_local ON entries(id, version_key, origin) WHERE origin > 0;
                PRAGMA user_version = \(schemaVersion);
                """)
    }

    // MARK: - Helpers

    /// `error` as a registry error: itself when it is one, else `REGISTRY_STORE_FAILED` naming `step`.
    func failure(_ step: String, _ error: any Error) -> RegistryError {
        if let error = error as? RegistryError { return error }
        return RegistryError(.storeFailed, "\(step): \(error)")
    }

    /// Runs `body` in one write transaction.
    func write<T>(_ step: String, _ body: (Database) throws -> T) throws(RegistryError) -> T {
        do {
            return try pool.write(body)
        } catch {
            throw failure(step, error)
        }
    }

    /// Runs `body` on a read-only snapshot.
    func read<T>(_ step: String, _ body: (Database) throws -> T) throws(RegistryError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw failure(step, error)
        }
    }

    /// Bumps the generation, and the index generation when an entry of origin `index` changed; nothing
    /// when nothing changed.
    static func bumpGenerations(_ db: Database, changed origins: Set<RegistryEntry.Origin>) throws {
        guard !origins.isEmpty else { return }
        let keys = origins.contains(.index) ? "('generation', 'index_generation')" : "('generation')"
        try db.execute(sql: "UPDATE meta SET value = value + 1 WHERE key IN \(keys)")
    }

    /// The SQLite implementation of this ``RegistryStore`` requirement (see the protocol for the contract).
    public var generation: Int64 {
        get throws(RegistryError) { try counter("generation") }
    }

    /// The SQLite implementation of this ``RegistryStore`` requirement (see the protocol for the contract).
    public var indexGeneration: Int64 {
        get throws(RegistryError) { try counter("index_generation") }
    }

    private func counter(_ key: String) throws(RegistryError) -> Int64 {
        try read("read the \(key)") { db in
            try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) ?? 0
        }
    }

    /// The SQLite implementation of this ``RegistryStore`` requirement (see the protocol for the contract).
    public func stats() throws(RegistryError) -> RegistryStats {
        var stats = try read("read statistics") { db in
            let tools = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (SELECT DISTINCT id FROM entries)") ?? 0
            var byOrigin: [RegistryEntry.Origin: Int] = [:]
            for origin in RegistryEntry.Origin.allCases { byOrigin[origin] = 0 }
            for row in try Row.fetchAll(db, sql: "SELECT origin, COUNT(*) FROM entries GROUP BY origin") {
                if let origin = RegistryEntry.Origin(precedence: row[0]) { byOrigin[origin] = row[1] }
            }
            let yanked = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entries WHERE yanked IS NOT NULL") ?? 0
            let lastImport = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'last_import'")
            let generation = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'generation'") ?? 0
            return RegistryStats(
                tools: tools, versions: byOrigin.values.reduce(0, +), byOrigin: byOrigin, yanked: yanked,
                lastImportMs: lastImport, databaseBytes: 0, generation: generation)
        }
        stats.databaseBytes = (try? SystemCall.fileStatus(path).size) ?? 0
        return stats
    }
}
