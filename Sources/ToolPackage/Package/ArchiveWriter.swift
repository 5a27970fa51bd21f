import CArchive
import Schema

/// Writes a gzip-compressed pax tar through libarchive, one entry at a time.
///
/// The package builder uses it deterministically (fixed mtime, uid/gid 0, uname/gname `omega`, no
/// gzip timestamp); tests use it to craft hostile archives (links, devices, setuid bits, bombs).
final class ArchiveWriter {
    /// The type of an entry.
    enum Kind {
        case file
        case directory
        case symlink(String)
        case hardlink(String)
        case characterDevice
        case blockDevice
        case fifo
        case socket
    }

    /// The fixed modification time of packed entries (2000-01-01T00:00:00Z).
    static let fixedMTime = 946_684_800

    private var archive: OpaquePointer?
    private let path: String

    /// Opens `path` for writing (created or truncated).
    init(path: String, gzip: Bool = true) throws(PackageError) {
        self.path = path
        guard let a = archive_write_new() else { throw PackageError(.archive, "archive_write_new failed") }
        archive = a
        if gzip {
            guard archive_write_add_filter_gzip(a) == ARCHIVE_OK,
                archive_write_set_options(a, "gzip:!timestamp") == ARCHIVE_OK
            else {
                throw failure("gzip filter")
            }
        }
        guard archive_write_set_format_pax_restricted(a) == ARCHIVE_OK else { throw failure("pax format") }
        guard archive_write_open_filename(a, path) == ARCHIVE_OK else { throw failure("open") }
    }

    deinit {
        if let archive { archive_write_free(archive) }
    }

    private func failure(_ step: String) -> PackageError {
        let reason = archive.flatMap { archive_error_string($0).map { String(cString: $0) } } ?? "unknown error"
        return PackageError(.archive, "writing \(path): \(step): \(reason)", path: path)
    }

    /// Writes an entry header; for a regular file, then call ``writeData(_:)`` for exactly `size` bytes.
    func header(_ name: String, kind: Kind = .file, mode: UInt32 = 0o644, size: Int64 = 0) throws(PackageError) {
        guard let entry = archive_entry_new() else { throw PackageError(.archive, "archive_entry_new failed") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, name)
        let type: UInt32
        switch kind {
        case .file: type = 0o100000
        case .directory: type = 0o040000
        case .symlink(let target):
            type = 0o120000
            archive_entry_set_symlink(entry, target)
        case .hardlink(let target):
            type = 0o100000
            archive_entry_set_hardlink(entry, target)
        case .characterDevice:
            type = 0o020000
            archive_entry_set_rdevmajor(entry, 1)
            archive_entry_set_rdevminor(entry, 3)
        case .blockDevice:
            type = 0o060000
            archive_entry_set_rdevmajor(entry, 8)
        case .fifo: type = 0o010000
        case .socket: type = 0o140000
        }
        archive_entry_set_filetype(entry, type)
        archive_entry_set_perm(entry, mode_t(mode))
        if case .file = kind { archive_entry_set_size(entry, size) } else { archive_entry_set_size(entry, 0) }
        archive_entry_set_mtime(entry, Int(Self.fixedMTime), 0)
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        archive_entry_set_uname(entry, "omega")
        archive_entry_set_gname(entry, "omega")
        guard archive_write_header(archive, entry) == ARCHIVE_OK else { throw failure("header of \(name)") }
    }

    /// Writes entry data.
    func writeData(_ bytes: UnsafeRawBufferPointer) throws(PackageError) {
        var offset = 0
        while offset < bytes.count {
            let n = archive_write_data(archive, bytes.baseAddress! + offset, bytes.count - offset)
            guard n > 0 else { throw failure("data") }
            offset += n
        }
    }

    /// Writes a whole regular file entry from memory.
    func addFile(_ name: String, contents: [UInt8], mode: UInt32 = 0o644) throws(PackageError) {
        try header(name, mode: mode, size: Int64(contents.count))
        var failure: PackageError?
        contents.withUnsafeBytes { buffer in
            do throws(PackageError) { try writeData(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Finishes the archive (writes the trailer and flushes the gzip stream).
    func close() throws(PackageError) {
        guard let a = archive else { return }
        let status = archive_write_close(a)
        if status != ARCHIVE_OK { throw failure("close") }
        archive_write_free(a)
        archive = nil
    }
}
