import Foundation
import GRDB
import GRDBSQLite

/// A statement prepared by GRDB and run through SQLite's C API: for the loops over a million entries
/// (an import's writes, the searchable scan), where GRDB's per-call argument and `Row` handling would
/// cost more than SQLite itself.
///
/// Used only inside a GRDB access block (the connection is GRDB's, on its queue). Column buffers are
/// valid until the next ``step()``.
struct RawStatement {
    private let statement: Statement
    private let handle: OpaquePointer

    /// SQLite copies a value bound with this destructor.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Prepares `sql` on `db`.
    init(_ db: Database, sql: String) throws {
        statement = try db.makeStatement(sql: sql)
        handle = statement.sqliteStatement
    }

    // MARK: - Binding (1-based parameters)

    /// Binds an integer.
    func bind(_ parameter: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, parameter, value)
    }

    /// Binds a text, or NULL.
    func bind(_ parameter: Int32, _ value: String?) {
        guard var value else {
            sqlite3_bind_null(handle, parameter)
            return
        }
        value.withUTF8 { utf8 in
            _ = sqlite3_bind_text(handle, parameter, utf8.baseAddress, Int32(utf8.count), Self.transient)
        }
    }

    /// Binds a blob.
    func bind(_ parameter: Int32, _ value: Data) {
        value.withUnsafeBytes { bytes in
            _ = sqlite3_bind_blob(handle, parameter, bytes.baseAddress, Int32(bytes.count), Self.transient)
        }
    }

    // MARK: - Running

    /// Moves to the next row; false at the end.
    ///
    /// - Throws: `REGISTRY_STORE_FAILED` with SQLite's message.
    func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code:
            let message = sqlite3_db_handle(handle).flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            throw RegistryError(.storeFailed, message ?? "SQLite error \(code)")
        }
    }

    /// Runs a statement that returns no row, then rewinds it for the next bindings.
    func execute() throws {
        defer { reset() }
        _ = try step()
    }

    /// Rewinds to run again (bindings are kept until rebound).
    func reset() { sqlite3_reset(handle) }

    // MARK: - Columns (0-based)

    /// An integer column.
    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    /// Whether the column is NULL.
    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    /// The bytes of a text or blob column (empty for NULL).
    func bytes(_ column: Int32) -> UnsafeBufferPointer<UInt8> {
        // The pointer first, then the length (SQLite's documented order).
        guard let pointer = sqlite3_column_blob(handle, column) else {
            return UnsafeBufferPointer(start: nil, count: 0)
        }
        let count = Int(sqlite3_column_bytes(handle, column))
        return UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: UInt8.self), count: count)
    }

    /// A text column ("" for NULL).
    func string(_ column: Int32) -> String { String(decoding: bytes(column), as: UTF8.self) }

    /// A text column, nil for NULL.
    func optionalString(_ column: Int32) -> String? { isNull(column) ? nil : string(column) }

    /// A `\n`-joined list column as its items.
    func lines(_ column: Int32) -> [String] {
        let text = bytes(column)
        guard let base = text.baseAddress, !text.isEmpty else { return [] }
        var items: [String] = []
        var start = 0
        for index in 0..<text.count where text[index] == 0x0A {
            items.append(
                String(decoding: UnsafeBufferPointer(start: base + start, count: index - start), as: UTF8.self))
            start = index + 1
        }
        items.append(
            String(decoding: UnsafeBufferPointer(start: base + start, count: text.count - start), as: UTF8.self))
        return items
    }
}
