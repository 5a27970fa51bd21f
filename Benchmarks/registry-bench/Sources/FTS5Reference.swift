import Foundation
import GRDB

/// The reference: SQLite FTS5 (default `unicode61` tokenizer, plain `bm25()`) over the same rows the
/// registry searches — per tool id its highest version that is not yanked (index and starter tools),
/// read from the registry's own database.
final class FTS5Reference {
    let queue: DatabaseQueue
    let path: String
    /// Rows in the table.
    let rowCount: Int
    /// Building the table: rows copied from the registry database, then `optimize`.
    let buildSeconds: Double

    /// Builds `path` (replacing it) from the registry database at `registryPath`.
    init(path: String, registryPath: String) throws {
        for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        self.path = path
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        queue = try DatabaseQueue(path: path, configuration: configuration)
        let started = monotonicNanos()
        try queue.inDatabase { db in
            try db.execute(sql: "ATTACH DATABASE ? AS src", arguments: [registryPath])
            try db.inTransaction {
                try db.execute(
                    sql: """
                        CREATE VIRTUAL TABLE t USING fts5(id UNINDEXED, idwords, title, description, keywords,
                            tokenize = 'unicode61');
                        INSERT INTO t (id, idwords, title, description, keywords)
                        SELECT id, replace(replace(id, '.', ' '), '_', ' '), coalesce(title, ''), description,
                            replace(keywords, char(10), ' ')
                        FROM (SELECT id, title, description, keywords, max(version_key)
                              FROM src.entries WHERE yanked IS NULL GROUP BY id);
                        INSERT INTO t (t) VALUES ('optimize');
                        """)
                return .commit
            }
            try db.execute(sql: "DETACH DATABASE src")
        }
        buildSeconds = seconds(since: started)
        rowCount = try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") ?? 0 }
    }

    /// Our query text as an FTS5 expression: its `[A-Za-z0-9]+` words, each quoted, joined with OR
    /// (the same kind of ranked disjunctive result as ours). Nil when there is no word.
    static func expression(_ text: String) -> String? {
        var words: [String] = []
        var current = ""
        for scalar in text.unicodeScalars {
            if scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar)) {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words.isEmpty ? nil : words.map { "\"\($0)\"" }.joined(separator: " OR ")
    }

    /// Answers `queries` (top 10 by bm25), timing each; returns the milliseconds and the ids.
    func run(_ queries: [String]) throws -> (ms: [Double], ids: [[String]]) {
        var ms: [Double] = []
        var ids: [[String]] = []
        try queue.inDatabase { db in
            let statement = try db.makeStatement(sql: "SELECT id FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT 10")
            for query in queries {
                let started = monotonicNanos()
                var found: [String] = []
                if let expression = Self.expression(query) {
                    found = try String.fetchAll(statement, arguments: [expression])
                }
                ms.append(millis(since: started))
                ids.append(found)
            }
        }
        return (ms, ids)
    }
}
