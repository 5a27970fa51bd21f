import Foundation
import GRDB
import ToolPackage

extension SQLiteRegistryStore {
    /// The SQLite implementation of this ``RegistryStore`` requirement (see the protocol for the contract).
    @discardableResult
    public func pin(user: String, id: String, version: SemanticVersion?, atMs: Int64) throws(RegistryError)
        -> RegistryPin
    {
        try Self.checkUser(user)
        guard ToolManifest.isValidID(id) else {
            _ = try RegistryReference.parse(id)  // throws the reference error
            throw RegistryError(.invalidReference, "\(id) is not a tool id")
        }
        let reference = RegistryReference(id: id, version: version)
        return try write("pin \(reference) for \(user)") { db in
            let standing = try Self.standingRows(db, id: id)
            guard !standing.isEmpty else {
                throw RegistryError(.notFound, "the registry knows no tool \(id); import an index or install it first")
            }
            if let version {
                let key = VersionKey.of(version)
                guard let row = standing.first(where: { ($0[4] as Data) == key }) else {
                    let known = standing.prefix(10).map { $0[2] as String }.joined(separator: ", ")
                    throw RegistryError(.notFound, "\(id) has no version \(version) (known: \(known))")
                }
                if let reason: String = row[3] {
                    throw RegistryError(
                        .yanked,
                        "\(id)@\(version) is yanked\(reason.isEmpty ? "" : " (\(reason))"); pin another version")
                }
            } else if standing.allSatisfy({ !$0.hasNull(atIndex: 3) }) {
                throw RegistryError(.yanked, "every version of \(id) is yanked; there is nothing to pin")
            }
            try db.execute(
                sql: """
                    INSERT INTO pins (user, id, version, pinned_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(user, id) DO UPDATE SET version = excluded.version, pinned_at = excluded.pinned_at
                    """,
                arguments: [user, id, version?.description, atMs])
            return RegistryPin(id: id, version: version, pinnedAtMs: atMs)
        }
    }

    /// The SQLite implementation of this ``RegistryStore`` requirement (see the protocol for the contract).
    public func unpin(user: String, id: String) throws(RegistryError) -> Bool {
        try Self.checkUser(user)
        return try write("unpin \(id) for \(user)") { db in
            try db.execute(sql: "DELETE FROM pins WHERE user = ? AND id = ?", arguments: [user, id])
            return db.changesCount > 0
        }
    }

    /// The SQLite implementation of this ``RegistryStore`` requirement (see the protocol for the contract).
    public func pins(user: String) throws(RegistryError) -> [RegistryPin] {
        try Self.checkUser(user)
        return try read("read the pins of \(user)") { db in
            try Row.fetchAll(
                db, sql: "SELECT id, version, pinned_at FROM pins WHERE user = ? ORDER BY pinned_at, id",
                arguments: [user]
            ).map { row in
                let version: String? = row[1]
                return RegistryPin(id: row[0], version: version.flatMap(SemanticVersion.init), pinnedAtMs: row[2])
            }
        }
    }

    /// A user name: non-empty, at most 256 bytes, no control characters.
    static func checkUser(_ user: String) throws(RegistryError) {
        guard !user.isEmpty, user.utf8.count <= 256, !user.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw RegistryError(
                .invalidArgument, "a user name must be 1 to 256 bytes without control characters")
        }
    }
}
