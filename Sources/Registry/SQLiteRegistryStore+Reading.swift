import Foundation
import GRDB
import JSON
import ToolPackage

extension SQLiteRegistryStore {
    /// The SQLite implementation of this ``RegistryStore`` requirement (see the protocol for the contract).
    ///
    /// One pass over the `(id, version_key, origin)` index, newest version and strongest origin first:
    /// per id, the first version whose standing row passes is emitted and the id's other rows skipped.
    public func searchable(
        origins: Set<RegistryEntry.Origin>, isYanked: (_ id: String, _ version: SemanticVersion) -> Bool,
        _ body: (SearchableRow) throws(RegistryError) -> Void
    ) throws(RegistryError) {
        guard !origins.isEmpty else { return }
        let only = origins.count == RegistryEntry.Origin.allCases.count
            ? "" : "WHERE origin IN (\(origins.map { String($0.precedence) }.joined(separator: ",")))"
        try read("scan the registry") { db in
            let statement = try db.makeStatement(
                sql: """
                    SELECT row_id, id, version_key, origin, version, title, description, keywords, binding,
                        risk_level, scopes, env_required, yanked
                    FROM entries \(only) ORDER BY id DESC, version_key DESC, origin DESC
                    """)
            let rows = try Row.fetchCursor(statement)
            var currentID = ""
            var decided = false
            var lastKey = Data()
            while let row = try rows.next() {
                let id: String = row[1]
                if id != currentID {
                    currentID = id
                    decided = false
                    lastKey = Data()
                }
                if decided { continue }
                let key: Data = row[2]
                if key == lastKey { continue }  // a weaker origin of a version already considered
                lastKey = key
                if !row.hasNull(atIndex: 12) { continue }  // yanked by its publisher
                let versionText: String = row[4]
                guard let version = SemanticVersion(versionText) else { continue }
                if isYanked(id, version) { continue }
                decided = true
                let level: String? = row[9]
                try body(
                    SearchableRow(
                        rowID: row[0], id: id, version: version, title: row[5], description: row[6],
                        keywords: Self.list(row[7]), binding: row[8],
                        riskLevel: level.flatMap(ToolManifest.Risk.Level.init(rawValue:)), scopes: Self.list(row[10]),
                        requiredEnvNames: Self.list(row[11]),
                        origin: RegistryEntry.Origin(precedence: row[3]) ?? .index))
            }
        }
    }

    /// The SQLite implementation of this ``RegistryStore`` requirement (see the protocol for the contract).
    public func entries(rowIDs: [Int64]) throws(RegistryError) -> [Int64: RegistryEntry] {
        guard !rowIDs.isEmpty else { return [:] }
        return try read("read \(rowIDs.count) entries") { db in
            var result: [Int64: RegistryEntry] = [:]
            // In chunks: SQLite caps the number of parameters of one statement.
            for start in stride(from: 0, to: rowIDs.count, by: 500) {
                let chunk = rowIDs[start..<min(start + 500, rowIDs.count)]
                let marks = chunk.map { _ in "?" }.joined(separator: ",")
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT row_id, origin, document FROM entries WHERE row_id IN (\(marks))",
                    arguments: StatementArguments(Array(chunk)))
                while let row = try rows.next() {
                    let rowID: Int64 = row[0]
                    result[rowID] = try Self.entry(document: row[2], origin: row[1], rowID: rowID)
                }
            }
            return result
        }
    }

    /// The SQLite implementation of this ``RegistryStore`` requirement (see the protocol for the contract).
    public func entry(
        id: String, version: SemanticVersion?, isYanked: (_ id: String, _ version: SemanticVersion) -> Bool
    ) throws(RegistryError) -> RegistryEntry? {
        try read("read \(id)") { db in
            if let version {
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT row_id, origin, document FROM entries WHERE id = ? AND version_key = ?
                        ORDER BY origin DESC LIMIT 1
                        """,
                    arguments: [id, VersionKey.of(version)])
                return try row.map { row in try Self.entry(document: row[2], origin: row[1], rowID: row[0]) }
            }
            for row in try Self.standingRows(db, id: id) {
                if !row.hasNull(atIndex: 3) { continue }
                let versionText: String = row[2]
                guard let version = SemanticVersion(versionText), !isYanked(id, version) else { continue }
                return try Self.entry(document: row[5], origin: row[1], rowID: row[0])
            }
            return nil
        }
    }

    /// The SQLite implementation of this ``RegistryStore`` requirement (see the protocol for the contract).
    public func versions(id: String) throws(RegistryError) -> [RegistryEntry] {
        try read("read the versions of \(id)") { db in
            try Self.standingRows(db, id: id).map { row in
                try Self.entry(document: row[5], origin: row[1], rowID: row[0])
            }
        }
    }

    /// The standing row of each version of `id` (its strongest origin), highest version first:
    /// `row_id, origin, version, yanked, version_key, document`.
    static func standingRows(_ db: Database, id: String) throws -> [Row] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT row_id, origin, version, yanked, version_key, document FROM entries WHERE id = ?
                ORDER BY version_key DESC, origin DESC
                """,
            arguments: [id])
        var result: [Row] = []
        var lastKey: Data?
        for row in rows {
            let key: Data = row[4]
            if key == lastKey { continue }
            lastKey = key
            result.append(row)
        }
        return result
    }

    /// The entry a stored row's document and origin describe.
    static func entry(document: String, origin: Int, rowID: Int64) throws -> RegistryEntry {
        let decoded: RegistryEntry?
        if let json = try? JSONParser().parse(document) {
            decoded = try? RegistryEntry.decode(line: json, origin: RegistryEntry.Origin(precedence: origin) ?? .index)
        } else {
            decoded = nil
        }
        guard let decoded else {
            throw RegistryError(.storeFailed, "stored entry \(rowID) is corrupt (its document does not decode)")
        }
        return decoded
    }

    /// A `\n`-joined list column as its items.
    static func list(_ text: String) -> [String] {
        text.isEmpty ? [] : text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}
