import Dispatch
import Foundation
import GRDB
import JSON
import ToolPackage

extension SQLiteRegistryStore {
    /// The SQLite implementation of this ``RegistryStore`` requirement (see the protocol for the contract).
    ///
    /// Two threads share the work inside the one write transaction: this one reads the file and writes
    /// the rows, a decoding thread parses and prepares the next batch of lines (``LineBatch``) meanwhile.
    public func importIndex(file: String, origin: RegistryEntry.Origin = .index, atMs: Int64) throws(RegistryError)
        -> RegistryImport
    {
        try write("import \(file)") { db in
            var result = RegistryImport()
            let writer = try EntryWriter(db)
            let decoding = DispatchQueue(label: "omega.registry.import.decode")
            var filling = LineBatch(origin: origin)
            var decodingBatch: LineBatch?

            /// Writes a decoded batch's entries and counts its problems.
            func store(_ batch: LineBatch) throws(RegistryError) {
                for line in batch.decoded() {
                    switch line {
                    case .problem(let problem):
                        result.skip(problem)
                    case .entry(let entry):
                        do {
                            try writer.upsert(entry, origin: origin, counting: &result)
                        } catch {
                            throw RegistryError(.storeFailed, "import \(file): \(entry.id)@\(entry.version): \(error)")
                        }
                    }
                }
            }
            /// Starts decoding the filled batch, then stores the one decoded meanwhile.
            func handOver() throws(RegistryError) {
                let batch = filling
                filling = LineBatch(origin: origin)
                decoding.async { batch.decode() }
                if let previous = decodingBatch { try store(previous) }
                decodingBatch = batch
            }

            try IndexFileReader(path: file).forEachLine { number, line throws(RegistryError) in
                filling.append(number, line)
                if filling.isFull { try handOver() }
            }
            try handOver()
            if let last = decodingBatch { try store(last) }

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
            for entry in entries where try writer.upsert(PreparedEntry(entry), origin: entry.origin, counting: &result)
            {
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
            guard
                let rowID = try Int64.fetchOne(
                    db, sql: "SELECT row_id FROM entries WHERE id = ? AND version_key = ? AND origin = ?",
                    arguments: [id, VersionKey.of(version), origin.precedence])
            else { return false }
            try EntryWriter(db).delete(rowID: rowID)
            try Self.bumpGenerations(db, changed: [origin])
            return true
        }
    }

    /// The SQLite implementation of this ``RegistryStore`` requirement (see the protocol for the contract).
    public func replaceLocal(origin: RegistryEntry.Origin, with entries: [RegistryEntry]) throws(RegistryError)
        -> RegistryImport
    {
        try Self.check(entries)
        // Most syncs (one at every open of the registry) change nothing: that is found on a snapshot, so
        // they never wait for another process's import, which holds the write lock for seconds.
        if try localEntriesAreAlready(entries, origin: origin) {
            var result = RegistryImport()
            result.unchanged = entries.count
            return result
        }
        return try write("replace the \(origin.rawValue) entries") { db in
            var result = RegistryImport()
            var stale: [Data: [String: Int64]] = [:]
            // `origin > 0` lets SQLite use the partial index of local entries instead of scanning every
            // imported row (a million: ~0.7 s cold) at each sync of the starter and installed tools.
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT row_id, id, version_key FROM entries WHERE \(origin.precedence > 0 ? "origin > 0 AND " : "")origin = ?",
                arguments: [origin.precedence])
            while let row = try rows.next() {
                let key: Data = row[2]
                stale[key, default: [:]][row[1]] = row[0]
            }
            let writer = try EntryWriter(db)
            for entry in entries {
                let prepared = PreparedEntry(entry)
                try writer.upsert(prepared, origin: origin, counting: &result)
                stale[prepared.versionKey]?[entry.id] = nil
            }
            for rowID in stale.values.flatMap(\.values) {
                try writer.delete(rowID: rowID)
                result.removed += 1
            }
            try Self.bumpGenerations(db, changed: result.changedAnything ? [origin] : [])
            return result
        }
    }

    /// Whether the entries of `origin` are exactly `entries` (the last of a duplicate (id, version)
    /// counting, as when written), byte for byte.
    private func localEntriesAreAlready(_ entries: [RegistryEntry], origin: RegistryEntry.Origin) throws(RegistryError)
        -> Bool
    {
        var wanted: [Data: [String: String]] = [:]
        for entry in entries {
            let prepared = PreparedEntry(entry)
            wanted[prepared.versionKey, default: [:]][prepared.id] = prepared.document
        }
        return try read("read the \(origin.rawValue) entries") { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT e.id, e.version_key, d.document FROM entries e JOIN documents d ON d.row_id = e.row_id
                    WHERE \(origin.precedence > 0 ? "e.origin > 0 AND " : "")e.origin = ?
                    """,
                arguments: [origin.precedence])
            var stored = 0
            while let row = try rows.next() {
                let id: String = row[0]
                let key: Data = row[1]
                let document: String = row[2]
                guard let expected = wanted[key]?[id], expected.utf8.elementsEqual(document.utf8) else { return false }
                stored += 1
            }
            return stored == wanted.values.reduce(0) { $0 + $1.count }
        }
    }

    /// Refuses entries that could not have come from a decoded index line or manifest.
    static func check(_ entries: [RegistryEntry]) throws(RegistryError) {
        for entry in entries {
            guard ToolManifest.isValidID(entry.id) else {
                throw RegistryError(
                    .invalidArgument, "\"\(entry.id.prefix(64))\" is not a tool id; nothing was written")
            }
            guard !entry.description.isEmpty else {
                throw RegistryError(
                    .invalidArgument, "\(entry.id)@\(entry.version) has no description; nothing was written")
            }
        }
    }
}

/// Writes entries inside one write transaction with statements prepared once: a row of `entries` (the
/// searchable columns) and its `documents` row (the canonical JSON line, compared byte for byte to tell
/// an unchanged entry from an updated one).
struct EntryWriter {
    private let select: RawStatement
    private let selectDocument: RawStatement
    private let insert: RawStatement
    private let insertDocument: RawStatement
    private let update: RawStatement
    private let updateDocument: RawStatement
    private let delete: RawStatement
    private let deleteDocument: RawStatement
    private let db: Database

    init(_ db: Database) throws {
        self.db = db
        select = try RawStatement(db, sql: "SELECT row_id FROM entries WHERE id = ? AND version_key = ? AND origin = ?")
        selectDocument = try RawStatement(db, sql: "SELECT document FROM documents WHERE row_id = ?")
        insert = try RawStatement(
            db,
            sql: """
                INSERT INTO entries (id, version_key, origin, version, title, description, keywords, binding,
                    risk_level, scopes, env_required, yanked)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        insertDocument = try RawStatement(db, sql: "INSERT INTO documents (row_id, document) VALUES (?, ?)")
        update = try RawStatement(
            db,
            sql: """
                UPDATE entries SET version = ?, title = ?, description = ?, keywords = ?, binding = ?, risk_level = ?,
                    scopes = ?, env_required = ?, yanked = ?
                WHERE row_id = ?
                """)
        updateDocument = try RawStatement(db, sql: "UPDATE documents SET document = ? WHERE row_id = ?")
        delete = try RawStatement(db, sql: "DELETE FROM entries WHERE row_id = ?")
        deleteDocument = try RawStatement(db, sql: "DELETE FROM documents WHERE row_id = ?")
    }

    /// Stores `entry` under `origin`, counting it as added, updated or unchanged. Returns whether anything
    /// was written.
    @discardableResult
    func upsert(_ entry: PreparedEntry, origin: RegistryEntry.Origin, counting result: inout RegistryImport) throws
        -> Bool
    {
        select.bind(1, entry.id)
        select.bind(2, entry.versionKey)
        select.bind(3, Int64(origin.precedence))
        defer { select.reset() }
        if try select.step() {
            let rowID = select.int64(0)
            selectDocument.bind(1, rowID)
            defer { selectDocument.reset() }
            // Bytes, not String ==, which would equate canonically equivalent Unicode.
            if try selectDocument.step(), selectDocument.bytes(0).elementsEqual(entry.document.utf8) {
                result.unchanged += 1
                return false
            }
            Self.bindColumns(update, entry, from: 1)
            update.bind(10, rowID)
            try update.execute()
            updateDocument.bind(1, entry.document)
            updateDocument.bind(2, rowID)
            try updateDocument.execute()
            result.updated += 1
        } else {
            insert.bind(1, entry.id)
            insert.bind(2, entry.versionKey)
            insert.bind(3, Int64(origin.precedence))
            Self.bindColumns(insert, entry, from: 4)
            try insert.execute()
            insertDocument.bind(1, db.lastInsertedRowID)
            insertDocument.bind(2, entry.document)
            try insertDocument.execute()
            result.added += 1
        }
        return true
    }

    /// Binds the nine searchable columns insert and update share (version, title, description,
    /// keywords, binding, risk level, scopes, required variables, yanked), from parameter `first` on.
    private static func bindColumns(_ statement: RawStatement, _ entry: PreparedEntry, from first: Int32) {
        let values = [
            entry.version, entry.title, entry.description, entry.keywords, entry.binding, entry.riskLevel,
            entry.scopes, entry.requiredEnv, entry.yanked,
        ]
        for (offset, value) in values.enumerated() { statement.bind(first + Int32(offset), value) }
    }

    /// Deletes a row and its document.
    func delete(rowID: Int64) throws {
        delete.bind(1, rowID)
        try delete.execute()
        deleteDocument.bind(1, rowID)
        try deleteDocument.execute()
    }
}
