import Foundation
import GRDB
import JSON
import ToolPackage

extension SQLiteRegistryStore {
    /// The SQLite implementation of this ``RegistryStore`` requirement (see the protocol for the contract).
    public func importIndex(file: String, origin: RegistryEntry.Origin = .index, atMs: Int64) throws(RegistryError)
        -> RegistryImport
    {
        try write("import \(file)") { db in
            var result = RegistryImport()
            let writer = try EntryWriter(db)
            try IndexFileReader(path: file).forEachLine { number, line throws(RegistryError) in
                switch line {
                case .tooLong(let count):
                    result.skip(
                        IndexProblem(
                            line: number, field: "",
                            message: "the line is \(count) bytes, over the \(RegistryEntry.maximumLineBytes)-byte limit"))
                case .bytes(let bytes):
                    let entry: RegistryEntry
                    do throws(IndexLineError) {
                        entry = try RegistryEntry.decode(bytes: bytes, origin: origin)
                    } catch {
                        result.skip(IndexProblem(line: number, field: error.field, message: error.message))
                        return
                    }
                    do {
                        try writer.upsert(entry, origin: origin, counting: &result)
                    } catch {
                        throw RegistryError(.storeFailed, "import \(file): line \(number): \(error)")
                    }
                }
            }
            try Self.bumpGenerations(db, changed: result.changedAnything ? [origin] : [])
            try db.execute(
                sql: "INSERT INTO meta (key, value) VALUES ('last_import', ?) ON CONFLICT(key) DO UPDATE SET value = ?",
                arguments: [atMs, atMs])
            return result
        }
    }

    /// The SQLite implementation of this ``RegistryStore`` requirement (see the protocol for the contract).
    public func upsert(_ entries: [RegistryEntry]) throws(RegistryError) -> RegistryImport {
        try Self.check(entries)
        return try write("upsert \(entries.count) entries") { db in
            var result = RegistryImport()
            let writer = try EntryWriter(db)
            var changed: Set<RegistryEntry.Origin> = []
            for entry in entries where try writer.upsert(entry, origin: entry.origin, counting: &result) {
                changed.insert(entry.origin)
            }
            try Self.bumpGenerations(db, changed: changed)
            return result
        }
    }

    /// The SQLite implementation of this ``RegistryStore`` requirement (see the protocol for the contract).
    public func remove(id: String, version: SemanticVersion, origin: RegistryEntry.Origin) throws(RegistryError)
        -> Bool
    {
        try write("remove \(id)@\(version) (\(origin.rawValue))") { db in
            try db.execute(
                sql: "DELETE FROM entries WHERE id = ? AND version_key = ? AND origin = ?",
                arguments: [id, VersionKey.of(version), origin.precedence])
            guard db.changesCount > 0 else { return false }
            try Self.bumpGenerations(db, changed: [origin])
            return true
        }
    }

    /// The SQLite implementation of this ``RegistryStore`` requirement (see the protocol for the contract).
    public func replaceLocal(origin: RegistryEntry.Origin, with entries: [RegistryEntry]) throws(RegistryError)
        -> RegistryImport
    {
        try Self.check(entries)
        return try write("replace the \(origin.rawValue) entries") { db in
            var result = RegistryImport()
            var stale: [Data: [String: Int64]] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT row_id, id, version_key FROM entries WHERE origin = ?", arguments: [origin.precedence])
            while let row = try rows.next() {
                let key: Data = row[2]
                stale[key, default: [:]][row[1]] = row[0]
            }
            let writer = try EntryWriter(db)
            for entry in entries {
                try writer.upsert(entry, origin: origin, counting: &result)
                stale[VersionKey.of(entry.version)]?[entry.id] = nil
            }
            let delete = try db.cachedStatement(sql: "DELETE FROM entries WHERE row_id = ?")
            for rowID in stale.values.flatMap(\.values) {
                try delete.execute(arguments: [rowID])
                result.removed += 1
            }
            try Self.bumpGenerations(db, changed: result.changedAnything ? [origin] : [])
            return result
        }
    }

    /// Refuses entries that could not have come from a decoded index line or manifest.
    static func check(_ entries: [RegistryEntry]) throws(RegistryError) {
        for entry in entries {
            guard ToolManifest.isValidID(entry.id) else {
                throw RegistryError(.invalidArgument, "\"\(entry.id.prefix(64))\" is not a tool id; nothing was written")
            }
            guard !entry.description.isEmpty else {
                throw RegistryError(.invalidArgument, "\(entry.id)@\(entry.version) has no description; nothing was written")
            }
        }
    }
}

/// Upserts entries inside one write transaction with statements prepared once.
struct EntryWriter {
    private let select: Statement
    private let insert: Statement
    private let update: Statement

    init(_ db: Database) throws {
        select = try db.cachedStatement(
            sql: "SELECT row_id, document FROM entries WHERE id = ? AND version_key = ? AND origin = ?")
        insert = try db.cachedStatement(
            sql: """
                INSERT INTO entries (id, version_key, origin, version, title, description, keywords, binding,
                    risk_level, scopes, env_required, yanked, document)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        update = try db.cachedStatement(
            sql: """
                UPDATE entries SET version = ?, title = ?, description = ?, keywords = ?, binding = ?, risk_level = ?,
                    scopes = ?, env_required = ?, yanked = ?, document = ?
                WHERE row_id = ?
                """)
    }

    /// Stores `entry` under `origin`, counting it as added, updated or unchanged. Returns whether anything
    /// was written.
    @discardableResult
    func upsert(_ entry: RegistryEntry, origin: RegistryEntry.Origin, counting result: inout RegistryImport) throws
        -> Bool
    {
        let key = VersionKey.of(entry.version)
        let document = entry.json.canonicalText
        let existing = try Row.fetchOne(select, arguments: [entry.id, key, origin.precedence])
        let keywords = entry.keywords.joined(separator: "\n")
        let scopes = entry.scopes.joined(separator: "\n")
        let required = entry.requiredEnvNames.joined(separator: "\n")
        if let existing {
            let stored: String = existing[1]
            // Bytes, not String ==, which would equate canonically equivalent Unicode.
            if stored.utf8.elementsEqual(document.utf8) {
                result.unchanged += 1
                return false
            }
            let rowID: Int64 = existing[0]
            try update.execute(arguments: [
                entry.version.description, entry.title, entry.description, keywords, entry.binding,
                entry.risk?.level.rawValue, scopes, required, entry.yanked, document, rowID,
            ])
            result.updated += 1
        } else {
            try insert.execute(arguments: [
                entry.id, key, origin.precedence, entry.version.description, entry.title, entry.description, keywords,
                entry.binding, entry.risk?.level.rawValue, scopes, required, entry.yanked, document,
            ])
            result.added += 1
        }
        return true
    }
}
