import CArchive

/// Limits an archive (or a package folder) must respect.
public struct ExtractionLimits: Sendable, Hashable {
    /// Total uncompressed bytes (default 256 MiB).
    public var maxTotalBytes: Int64 = 256 << 20
    /// Number of entries, directories included (default 10,000).
    public var maxFiles: Int = 10_000
    /// Size of one file (default 64 MiB).
    public var maxFileBytes: Int64 = 64 << 20
    /// Length of one path in bytes (default 1,024); each component is at most 255 bytes.
    public var maxPathBytes: Int = 1024
    /// Directory nesting (default 32).
    public var maxDepth: Int = 32
    /// Uncompressed bytes per compressed byte read (default 100); checked while streaming once more
    /// than ``ratioFloorBytes`` have been inflated, so a bomb is stopped mid-stream.
    public var maxCompressionRatio: Int64 = 100
    /// Inflated bytes below which the ratio is not checked (default 4 MiB: small, very
    /// compressible packages such as a JSON file of spaces are fine).
    public var ratioFloorBytes: Int64 = 4 << 20

    /// The defaults.
    public init() {}
}

/// Safe extraction of a package `.tar.gz` into a fresh directory.
///
/// Policy (each refusal has its own ``PackageError/Code``):
/// - Only regular files and directories are extracted. **Every** symbolic link is refused
///   (`ARCHIVE_SYMLINK`), whether it points inside or outside the package: packages never need
///   them and refusing all removes a whole class of write-through-link attacks. Every hard link entry is
///   refused (`ARCHIVE_HARDLINK`). Devices, FIFOs and sockets are refused (`ARCHIVE_SPECIAL_FILE`).
/// - Absolute paths (`ARCHIVE_ABSOLUTE_PATH`), `..` components (`ARCHIVE_PATH_TRAVERSAL`), paths over
///   the length, component or depth limits (`ARCHIVE_BAD_PATH`) and duplicate paths
///   (`ARCHIVE_DUPLICATE_ENTRY`) are refused; `.` and empty components are dropped.
/// - setuid, setgid and sticky bits are refused (`ARCHIVE_PRIVILEGED_MODE`), not stripped. Files are
///   created 0755 when any execute bit was set, else 0644; directories 0755. Owners are not restored.
/// - Entry count, per-file size, total size and compression ratio are checked while streaming, so a
///   bomb is stopped before its data is on disk (`ARCHIVE_TOO_MANY_FILES`, `ARCHIVE_TOO_LARGE`,
///   `ARCHIVE_COMPRESSION_RATIO`). Sizes are counted from the data actually inflated, not headers.
///
/// Files are written by this code, not by libarchive's `archive_write_disk` (whose
/// `ARCHIVE_EXTRACT_SECURE_*` flags resolve paths against the process's working directory): every
/// directory is opened with `openat(O_DIRECTORY|O_NOFOLLOW)` relative to the destination's descriptor
/// and every file is created with `openat(O_CREAT|O_EXCL|O_NOFOLLOW)`, so nothing can be created
/// outside the destination even if a link appeared under it. On any error the destination is
/// removed entirely: nothing half-extracted is left.
public struct PackageExtractor: Sendable {
    /// The limits enforced.
    public var limits: ExtractionLimits

    /// An extractor with `limits`.
    public init(limits: ExtractionLimits = .init()) { self.limits = limits }

    /// What was extracted.
    public struct Result: Sendable, Hashable {
        /// Regular files written.
        public var files: Int
        /// Bytes written.
        public var bytes: Int64
    }

    /// Extracts `archive` (a `.tar.gz`, or an uncompressed tar) into `destination`.
    ///
    /// - Parameters:
    ///   - archive: the archive file.
    ///   - destination: a path that must not exist yet; it is created (mode 0755) with the package's
    ///     files inside. Its parent must exist.
    /// - Returns: counts of what was written.
    /// - Throws: a ``PackageError`` naming the entry at fault; `destination` does not exist afterwards.
    @discardableResult
    public func extract(archive: String, into destination: String) throws(PackageError) -> Result {
        if try PackageFS.lstat(destination) != nil {
            throw PackageError(.io, "\(destination) exists; extraction needs a fresh directory", path: destination)
        }
        try PackageFS.mkdirAt(PackageFS.currentDirectory, destination, mode: 0o700, display: destination)
        do {
            let dirfd = try PackageFS.open(destination, PackageFS.directoryFlags)
            defer { PackageFS.close(dirfd) }
            let result = try run(archive: archive, root: dirfd)
            try PackageFS.fchmod(dirfd, 0o755, display: destination)
            return result
        } catch {
            PackageFS.removeTree(destination)
            throw error
        }
    }

    private func run(archive path: String, root: Int32) throws(PackageError) -> Result {
        guard let a = archive_read_new() else { throw PackageError(.archive, "archive_read_new failed") }
        defer { archive_read_free(a) }
        archive_read_support_filter_gzip(a)
        archive_read_support_filter_none(a)
        archive_read_support_format_tar(a)
        func archiveError(_ step: String) -> PackageError {
            let reason = archive_error_string(a).map { String(cString: $0) } ?? "unknown error"
            return PackageError(.archive, "\(path): \(step): \(reason)", path: path)
        }
        guard archive_read_open_filename(a, path, 1 << 16) == ARCHIVE_OK else { throw archiveError("cannot open") }

        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        var entries = 0
        var files = 0
        var total: Int64 = 0
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(a, &entry)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                throw archiveError("reading entry \(entries + 1)")
            }
            entries += 1
            guard entries <= limits.maxFiles else {
                throw PackageError(.tooManyFiles, "\(path): more than \(limits.maxFiles) entries", path: path)
            }
            let rawName: String
            if let p = archive_entry_pathname_utf8(entry) {
                rawName = String(cString: p)
            } else if let p = archive_entry_pathname(entry) {
                rawName = String(cString: p)
            } else {
                throw PackageError(.badPath, "\(path): entry \(entries) has no path", path: path)
            }
            let components = try validate(rawName)
            let display = components.joined(separator: "/")

            if let target = archive_entry_hardlink(entry) {
                throw PackageError(
                    .hardlink,
                    "\(rawName): hard link to \(String(cString: target)) refused (packages may not contain links)",
                    path: rawName)
            }
            let type = UInt32(archive_entry_filetype(entry))
            switch type {
            case 0o120000:
                let target = archive_entry_symlink(entry).map { String(cString: $0) } ?? "?"
                throw PackageError(
                    .symlink, "\(rawName): symbolic link to \(target) refused (packages may not contain links)",
                    path: rawName)
            case 0o100000, 0o040000: break
            default:
                let kinds: [UInt32: String] = [
                    0o020000: "character device", 0o060000: "block device", 0o010000: "FIFO", 0o140000: "socket",
                ]
                throw PackageError(
                    .specialFile,
                    "\(rawName): \(kinds[type] ?? "special file") refused (only regular files and directories)",
                    path: rawName)
            }
            let mode = UInt32(archive_entry_perm(entry))
            if mode & 0o7000 != 0 {
                throw PackageError(
                    .privilegedMode,
                    "\(rawName): mode \(String(mode, radix: 8)) has setuid, setgid or sticky bits; refused",
                    path: rawName)
            }
            if components.isEmpty { continue }  // "./"

            if type == 0o040000 {
                let fd = try openDirectories(components, root: root, display: display)
                PackageFS.close(fd)
                continue
            }
            if archive_entry_size_is_set(entry) != 0 {
                let declared = archive_entry_size(entry)
                guard declared <= limits.maxFileBytes else {
                    throw PackageError(
                        .tooLarge, "\(display): \(declared) bytes is over the \(limits.maxFileBytes)-byte file limit",
                        path: display)
                }
                guard total + declared <= limits.maxTotalBytes else {
                    throw PackageError(
                        .tooLarge, "\(path): over the \(limits.maxTotalBytes)-byte package limit at \(display)",
                        path: display)
                }
            }
            let parent = try openDirectories(Array(components.dropLast()), root: root, display: display)
            defer { PackageFS.close(parent) }
            let fileMode: UInt32 = mode & 0o111 != 0 ? 0o755 : 0o644
            let fd: Int32
            do {
                fd = try PackageFS.openAt(
                    parent, components.last!, PackageFS.createFileFlags, mode: PackageFS.Mode(fileMode),
                    display: display)
            } catch  where error.errno == PackageFS.alreadyExists {
                throw PackageError(.duplicateEntry, "\(display): appears twice in the archive", path: display)
            }
            defer { PackageFS.close(fd) }
            var size: Int64 = 0
            while true {
                let n = archive_read_data(a, buffer.baseAddress, buffer.count)
                if n == 0 { break }
                guard n > 0 else { throw archiveError("reading \(display)") }
                size += Int64(n)
                total += Int64(n)
                guard size <= limits.maxFileBytes else {
                    throw PackageError(
                        .tooLarge, "\(display): over the \(limits.maxFileBytes)-byte file limit", path: display)
                }
                guard total <= limits.maxTotalBytes else {
                    throw PackageError(
                        .tooLarge, "\(path): over the \(limits.maxTotalBytes)-byte package limit at \(display)",
                        path: display)
                }
                if total > limits.ratioFloorBytes {
                    let compressed = max(archive_filter_bytes(a, -1), 1)
                    if total / compressed > limits.maxCompressionRatio {
                        throw PackageError(
                            .compressionRatio,
                            "\(path): \(total) bytes inflated from \(compressed) (ratio over \(limits.maxCompressionRatio):1) at \(display); decompression bomb refused",
                            path: display)
                    }
                }
                try PackageFS.writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[0..<n]), display: display)
            }
            try PackageFS.fchmod(fd, PackageFS.Mode(fileMode), display: display)
            files += 1
        }
        return Result(files: files, bytes: total)
    }

    /// The path's components, or the refusal.
    func validate(_ name: String) throws(PackageError) -> [String] {
        if name.isEmpty { throw PackageError(.badPath, "an entry has an empty path", path: name) }
        if name.hasPrefix("/") { throw PackageError(.absolutePath, "\(name): absolute path refused", path: name) }
        if name.utf8.count > limits.maxPathBytes {
            throw PackageError(
                .badPath,
                "\(name.prefix(64))…: path is \(name.utf8.count) bytes, over the \(limits.maxPathBytes)-byte limit",
                path: name)
        }
        var components: [String] = []
        for part in name.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            if part == ".." { throw PackageError(.pathTraversal, "\(name): \"..\" component refused", path: name) }
            if part.utf8.count > 255 {
                throw PackageError(.badPath, "\(name.prefix(64))…: a component is over 255 bytes", path: name)
            }
            components.append(String(part))
        }
        if components.count > limits.maxDepth {
            throw PackageError(
                .badPath, "\(name.prefix(64))…: nested deeper than \(limits.maxDepth) directories", path: name)
        }
        return components
    }

    /// Opens (creating as needed) `components` below `root`, never following links; returns the fd.
    private func openDirectories(_ components: [String], root: Int32, display: String) throws(PackageError) -> Int32 {
        var current = try PackageFS.openAt(root, ".", PackageFS.directoryFlags, display: display)
        for component in components {
            if PackageFS.lstatAt(current, component) == nil {
                try PackageFS.mkdirAt(current, component, mode: 0o755, display: display)
            }
            let next: Int32
            do {
                next = try PackageFS.openAt(current, component, PackageFS.directoryFlags, display: display)
            } catch {
                PackageFS.close(current)
                throw PackageError(
                    .duplicateEntry, "\(display): \(component) exists and is not a directory", path: display)
            }
            PackageFS.close(current)
            current = next
        }
        return current
    }
}
