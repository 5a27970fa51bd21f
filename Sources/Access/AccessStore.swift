import FoundationEssentials
import GRDB
import Synchronization
import SystemCalls

/// Who may call the appliance: API keys, hashed at rest, and the ledger of used MCP request states.
/// SQLite in WAL mode through GRDB, at one file (`<OMEGA_HOME>/access.sqlite`) shared by every process
/// on the home.
///
/// Guarantees:
/// - A key's secret exists only in the value ``createKey(name:user:nowMs:)`` returns; the database holds
///   its SHA-256 (the secret has 256 random bits, so a fast hash cannot be brute-forced).
/// - ``authenticate(bearer:nowMs:)`` compares digests in constant time and fails every way with the one
///   ``AccessError/unauthorized``.
/// - ``consumeState(nonce:expiresAtMs:nowMs:)`` returns true for exactly one call per nonce across every
///   process (a primary-key insert decides, not a read then a write).
/// - The file is created 0600; its schema version is `PRAGMA user_version` (a newer schema than this code
///   knows is refused, never altered). Opening takes an exclusive lock on `<path>.lock`, so processes
///   opening a fresh file at the same moment do not race to create the schema. Every write is one
///   transaction; writers wait for each other up to 10 s.
public final class AccessStore: Sendable {
    let pool: DatabasePool
    /// The database file.
    public let path: String
    /// When this store last pruned expired states (ms since the epoch; nil: never).
    let lastPruneMs = Mutex<Int64?>(nil)

    /// The schema version this code reads and writes.
    static let schemaVersion = 1

    /// Opens (creating and migrating when needed) the store at `path`.
    ///
    /// - Parameter path: The database file; its directory must exist.
    /// - Throws: `INTERNAL_ERROR` naming the file when it cannot be opened or created, is not a database,
    ///   or has a schema newer than this code.
    public init(path: String) throws(AccessError) {
        self.path = path
        let lock: FileLock
        do throws(SystemCallError) {
            lock = try FileLock.openingDatabase(at: path)
        } catch {
            throw AccessError(.internalError, "opening \(path): \(error.step): \(error.errno.message)")
        }
        defer { lock.release() }
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            // WAL with synchronous=NORMAL: a commit survives a crash of the process; only a power loss can
            // drop the last commits (a revocation is repeated by its operator; a lost state is refused anyway).
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            pool = try DatabasePool(path: path, configuration: configuration)
            if try pool.read({ db in try Int.fetchOne(db, sql: "PRAGMA user_version") }) != Self.schemaVersion {
                try pool.write { db in try Self.migrate(db, path: path) }
            }
        } catch let error as AccessError {
            throw error
        } catch {
            throw AccessError(.internalError, "opening \(path): \(error)")
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
                    CREATE TABLE api_keys (
                        id TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        user TEXT NOT NULL,
                        secret_sha256 TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        last_used_at INTEGER,
                        revoked_at INTEGER
                    ) WITHOUT ROWID;
                    CREATE UNIQUE INDEX api_keys_unrevoked_name ON api_keys(name) WHERE revoked_at IS NULL;
                    CREATE TABLE used_states (
                        nonce TEXT PRIMARY KEY NOT NULL,
                        expires_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX used_states_by_expiry ON used_states(expires_at);
                    PRAGMA user_version = 1;
                    """)
        default:
            throw AccessError(
                .internalError, "\(path) has schema version \(version); this program knows \(schemaVersion)")
        }
    }

    /// Now, in milliseconds since the Unix epoch (the default time of writes).
    public static func currentTimeMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// `error` as an ``AccessError``: itself when it is one, else `INTERNAL_ERROR` naming `step`.
    func failure(_ step: String, _ error: any Error) -> AccessError {
        if let error = error as? AccessError { return error }
        return AccessError(.internalError, "\(step): \(error)")
    }

    static let keyColumns = "id, name, user, created_at, last_used_at, revoked_at"

    static func key(_ row: Row) -> APIKey {
        APIKey(
            id: row["id"], name: row["name"], user: row["user"], createdAtMs: row["created_at"],
            lastUsedAtMs: row["last_used_at"], revokedAtMs: row["revoked_at"])
    }

    // MARK: Keys

    /// Creates a key for `user`.
    ///
    /// - Parameters:
    ///   - name: 1–64 characters of `A-Z a-z 0-9 . _ -` and space (not first or last), unique among
    ///     unrevoked keys.
    ///   - user: The user the key acts for: 1–64 characters of `a-z 0-9 . _ -`.
    ///   - nowMs: The creation time (default: now).
    /// - Returns: The key and its secret, `omx_<id hex>_<43 base64url characters>`. The secret is never
    ///   stored and cannot be shown again; only its SHA-256 is kept.
    /// - Throws: `INVALID_INPUT` naming `name` (malformed or taken) or `user`; `INTERNAL_ERROR` when the
    ///   database cannot be written.
    public func createKey(name: String, user: String = APIKey.defaultUser, nowMs: Int64 = AccessStore.currentTimeMs())
        throws(AccessError) -> (key: APIKey, secret: String)
    {
        guard APIKey.isValidName(name) else {
            throw AccessError(
                .invalidInput,
                "a key name is 1–64 characters of A-Z a-z 0-9 . _ - and space (not first or last)",
                field: "name")
        }
        guard APIKey.isValidUser(user) else {
            throw AccessError(.invalidInput, "a user is 1–64 characters of a-z 0-9 . _ -", field: "user")
        }
        let token = APIKeyToken.generate()
        let key = APIKey(id: token.keyID, name: name, user: user, createdAtMs: nowMs)
        let taken = AccessError(.invalidInput, "an unrevoked key is already named \"\(name)\"", field: "name")
        do {
            try pool.write { db in
                // The write transaction is IMMEDIATE: no other writer can add the name between check and insert
                // (the partial unique index backs this up).
                if try Bool.fetchOne(
                    db, sql: "SELECT 1 FROM api_keys WHERE name = ? AND revoked_at IS NULL", arguments: [name]) == true
                {
                    throw taken
                }
                try db.execute(
                    sql: """
                        INSERT INTO api_keys (id, name, user, secret_sha256, created_at) VALUES (?, ?, ?, ?, ?)
                        """,
                    arguments: [key.id, name, user, token.digestHex, nowMs])
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw taken
        } catch {
            throw failure("create key \(name)", error)
        }
        return (key, token.text)
    }

    /// Every key, revoked ones included (``APIKey/isRevoked``), oldest first.
    ///
    /// - Throws: `INTERNAL_ERROR` when the database cannot be read.
    public func keys() throws(AccessError) -> [APIKey] {
        do {
            return try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT \(Self.keyColumns) FROM api_keys ORDER BY created_at, id")
                    .map(Self.key)
            }
        } catch {
            throw failure("list keys", error)
        }
    }

    /// The key `id`, revoked or not; nil when there is none.
    ///
    /// - Throws: `INTERNAL_ERROR` when the database cannot be read.
    public func key(id: String) throws(AccessError) -> APIKey? {
        do {
            return try pool.read { db in
                try Row.fetchOne(db, sql: "SELECT \(Self.keyColumns) FROM api_keys WHERE id = ?", arguments: [id])
                    .map(Self.key)
            }
        } catch {
            throw failure("read key", error)
        }
    }

    /// Revokes key `id`: from the moment this returns, its secret never authenticates again (in any
    /// process) and its name may be reused.
    ///
    /// - Parameters:
    ///   - id: The key id (`key_` + 16 hex digits).
    ///   - nowMs: The revocation time (default: now).
    /// - Returns: true when this call revoked it, false when it was already revoked.
    /// - Throws: `INVALID_INPUT` naming `id` for a malformed or unknown id; `INTERNAL_ERROR` when the
    ///   database cannot be written.
    @discardableResult
    public func revokeKey(id: String, nowMs: Int64 = AccessStore.currentTimeMs()) throws(AccessError) -> Bool {
        guard APIKey.isValidID(id) else {
            throw AccessError(.invalidInput, "a key id is key_ followed by 16 lowercase hex digits", field: "id")
        }
        do {
            return try pool.write { db in
                try db.execute(
                    sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                    arguments: [nowMs, id])
                if db.changesCount == 1 { return true }
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM api_keys WHERE id = ?", arguments: [id]) == true else {
                    throw AccessError(.invalidInput, "no API key \(id)", field: "id")
                }
                return false
            }
        } catch {
            throw failure("revoke key \(id)", error)
        }
    }
}
