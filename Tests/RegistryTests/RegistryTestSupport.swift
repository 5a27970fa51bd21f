import Foundation
import JSON
import Registry
import TestSupport
import Testing
import ToolPackage

/// Temporary stores and index files for the registry tests.
enum RegistryFixture {
    /// A fresh store in its own temporary directory (the caller removes the directory).
    static func store() throws -> (SQLiteRegistryStore, String) {
        let dir = Fixture.directory("registry", mode: 0o700)
        return (try SQLiteRegistryStore(path: dir + "/registry.sqlite"), dir)
    }

    /// One index line: `id`, `version`, a description and `extra` fields.
    static func line(_ id: String, _ version: String, _ extra: [String: JSONValue] = [:]) -> String {
        var members: [String: JSONValue] = [
            "id": .string(id), "version": .string(version), "description": .string("Tool \(id) at \(version)"),
        ]
        for (key, value) in extra { members[key] = value }
        return JSONValue.object(members).jsonText
    }

    /// Writes `lines` (each followed by a newline) to `dir/name` and returns the path.
    @discardableResult
    static func index(_ lines: [String], in dir: String, name: String = "index.jsonl") -> String {
        let path = dir + "/" + name
        Fixture.write(lines.map { $0 + "\n" }.joined(), to: path)
        return path
    }

    /// Compresses `path` with `program` (`gzip` or `xz`), keeping the original; returns the new path.
    static func compress(_ path: String, with program: String) throws -> String {
        let result = try HostProcess.run(["/usr/bin/\(program)", "-k", "-f", path], timeout: 60)
        #expect(result.status == 0, "\(program) failed: \(result.stderr)")
        return path + (program == "gzip" ? ".gz" : ".xz")
    }

    /// The rows `searchable` streams, by id.
    static func searchable(
        _ store: some RegistryStore, origins: Set<RegistryEntry.Origin> = Set(RegistryEntry.Origin.allCases),
        isYanked: (String, SemanticVersion) -> Bool = { _, _ in false }
    ) throws -> [String: SearchableRow] {
        var rows: [String: SearchableRow] = [:]
        try store.searchable(origins: origins, isYanked: isYanked) { row in
            #expect(rows[row.id] == nil, "\(row.id) streamed twice")
            rows[row.id] = row
        }
        return rows
    }

    /// `[added, updated, unchanged, skipped, removed]`.
    static func counts(_ result: RegistryImport) -> [Int] {
        [result.added, result.updated, result.unchanged, result.skipped, result.removed]
    }

    /// A version from text known to be valid.
    static func v(_ text: String) -> SemanticVersion { SemanticVersion(text)! }
}
