import Foundation
import GRDB
import JSON
import ToolPackage

extension SQLiteRegistryStore {
    /// The SQLite implementation of this ``RegistryStore`` requirement (see the protocol for the contract).
    ///
    /// Two passes over one snapshot. The first walks the `(id, version_key, origin)` index alone,
    /// highest version and strongest origin first, and picks each id's row. The second reads the picked
    /// rows' columns: in row order through the table when they are many (a sequential scan), by row id
    /// when they are few (the local origins among a large index). `isYanked` receives the version
    /// without build metadata.
    public func searchable(
        origins: Set<RegistryEntry.Origin>, isYanked: (_ id: String, _ version: SemanticVersion) -> Bool,
        _ body: (SearchableRow) throws(RegistryError) -> Void
    ) throws(RegistryError) {
        guard !origins.isEmpty else { return }
        do {
            try pool.read { db in
                let chosen = try Self.choose(db, origins: origins, isYanked: isYanked)
                try Self.readRows(db, chosen, body)
            }
        } catch {
            throw failure("scan the registry", error)
        }
    }

    /// The row ids of each id's standing entry at its highest version not yanked, sorted.
    private static func choose(
        _ db: Database, origins: Set<RegistryEntry.Origin>, isYanked: (String, SemanticVersion) -> Bool
    ) throws -> [Int64] {
        var yankedRows: Set<Int64> = []
        let yanked = try RawStatement(db, sql: "SELECT row_id FROM entries WHERE yanked IS NOT NULL")
        while try yanked.step() { yankedRows.insert(yanked.int64(0)) }

        let filter: String
        if origins.contains(.index) {
            filter =
                origins.count == RegistryEntry.Origin.allCases.count
                ? "" : "WHERE origin IN (\(origins.map { String($0.precedence) }.joined(separator: ",")))"
        } else {
            // `origin > 0` lets SQLite use the small partial index of local entries.
            filter = "WHERE origin > 0 AND origin IN (\(origins.map { String($0.precedence) }.joined(separator: ",")))"
        }
        let rows = try RawStatement(
            db,
            sql: "SELECT row_id, id, version_key FROM entries \(filter) ORDER BY id DESC, version_key DESC, origin DESC"
        )
        var chosen: [Int64] = []
        var currentID: [UInt8] = []
        var currentKey: [UInt8] = []
        var decided = false
        while try rows.step() {
            let id = rows.bytes(1)
            if !id.elementsEqual(currentID) {
                currentID.removeAll(keepingCapacity: true)
                currentID.append(contentsOf: id)
                currentKey.removeAll(keepingCapacity: true)
                decided = false
            }
            if decided { continue }
            let key = rows.bytes(2)
            if key.elementsEqual(currentKey) { continue }  // a weaker origin of a version already considered
            currentKey.removeAll(keepingCapacity: true)
            currentKey.append(contentsOf: key)
            let rowID = rows.int64(0)
            if yankedRows.contains(rowID) { continue }  // yanked by its publisher
            guard let version = VersionKey.version(from: key) else { continue }
            if isYanked(String(decoding: id, as: UTF8.self), version) { continue }
            decided = true
            chosen.append(rowID)
        }
        chosen.sort()
        return chosen
    }

    /// Calls `body` with the searchable columns of each row of `chosen` (sorted row ids).
    private static func readRows(
        _ db: Database, _ chosen: [Int64], _ body: (SearchableRow) throws(RegistryError) -> Void
    ) throws {
        guard let last = chosen.last else { return }
        let columns = """
            row_id, id, version, origin, title, description, keywords, binding, risk_level, scopes, env_required,
                version_key
            """
        func row(_ rows: RawStatement) throws(RegistryError) {
            // From the key (no text parsing) unless the text carries build metadata, which keys leave out.
            let versionText = rows.bytes(2)
            let version =
                versionText.contains(UInt8(ascii: "+"))
                ? SemanticVersion(String(decoding: versionText, as: UTF8.self))
                : VersionKey.version(from: rows.bytes(11))
            guard let version else {
                throw RegistryError(.storeFailed, "stored entry \(rows.int64(0)) has an invalid version")
            }
            let level = rows.optionalString(8)
            try body(
                SearchableRow(
                    rowID: rows.int64(0), id: rows.string(1), version: version, title: rows.optionalString(4),
                    description: rows.string(5), keywords: rows.lines(6), binding: rows.optionalString(7),
                    riskLevel: level.flatMap(ToolManifest.Risk.Level.init(rawValue:)), scopes: rows.lines(9),
                    requiredEnvNames: rows.lines(10),
                    origin: RegistryEntry.Origin(precedence: Int(rows.int64(3))) ?? .index))
        }
        // Few rows among many: look each up. Otherwise: one pass in row order, skipping the others.
        if chosen.count < 4096 || chosen.count * 8 < Int(last) {
            let rows = try RawStatement(db, sql: "SELECT \(columns) FROM entries WHERE row_id = ?")
            for rowID in chosen {
                rows.reset()
                rows.bind(1, rowID)
                if try rows.step() { try row(rows) }
            }
            return
        }
        let rows = try RawStatement(db, sql: "SELECT \(columns) FROM entries WHERE row_id >= ? ORDER BY row_id")
        rows.bind(1, chosen[0])
        var next = 0
        while next < chosen.count, try rows.step() {
            let rowID = rows.int64(0)
            // Every chosen row is in this snapshot, so a smaller chosen id never stays behind.
            while next < chosen.count, chosen[next] < rowID { next += 1 }
            guard next < chosen.count, chosen[next] == rowID else { continue }
            try row(rows)
            next += 1
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
                    db,
                    sql: """
                        SELECT e.row_id, e.origin, d.document FROM entries e JOIN documents d ON d.row_id = e.row_id
                        WHERE e.row_id IN (\(marks))
                        """,
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
                        SELECT e.row_id, e.origin, d.document FROM entries e JOIN documents d ON d.row_id = e.row_id
                        WHERE e.id = ? AND e.version_key = ? ORDER BY e.origin DESC LIMIT 1
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
                SELECT e.row_id, e.origin, e.version, e.yanked, e.version_key, d.document
                FROM entries e JOIN documents d ON d.row_id = e.row_id
                WHERE e.id = ? ORDER BY e.version_key DESC, e.origin DESC
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
}
