import CArchive
import SystemCalls

#if canImport(Glibc)
import Glibc  // memchr only: the line splitter's byte search (no system call is made here).
#endif

/// Streams the lines of an index file: JSON Lines, plain or compressed with gzip or xz (also bzip2,
/// zstd, lz4 and lzma), the compression detected from the content, not from the name: gzip is inflated
/// by zlib (``GzipStream``, which checks each member's CRC-32), everything else by libarchive's raw
/// format with its built-in filters.
///
/// Guarantees:
/// - Lines are split on `\n` bytes and numbered from 1 in the decompressed stream; a trailing `\r`
///   and a UTF-8 byte-order mark at the start are dropped; blank lines (only spaces, tabs) are skipped
///   but counted.
/// - Memory is bounded: the file is read in blocks (1 MiB by default) and a line longer than
///   ``maximumLineBytes`` is never held whole; it is reported as ``Line/tooLong(byteCount:)``.
/// - Only libarchive's built-in decompressors are enabled: no external program ever runs on the data.
/// - A file that is missing, unreadable or not a regular file, and a compressed stream that is corrupt
///   (a failed integrity check included) or truncated, are a ``RegistryError`` (`REGISTRY_INDEX_UNREADABLE`) naming the file; lines
///   delivered before a stream error stay delivered, so an importer must treat the error as fatal.
public struct IndexFileReader: Sendable {
    /// One non-blank line.
    public enum Line {
        /// The line's bytes, without the newline; valid only during the call that receives them.
        case bytes(UnsafeBufferPointer<UInt8>)
        /// A line over the limit, with its full length in bytes (its contents were not kept).
        case tooLong(byteCount: Int)
    }

    /// What a whole read saw.
    public struct Summary: Sendable, Hashable {
        /// Lines in the file, blank ones included.
        public var lines: Int
        /// The compression libarchive detected (`none`, `gzip`, `xz`, …).
        public var compression: String
        /// Decompressed bytes read.
        public var bytes: Int64
    }

    /// The index file.
    public var path: String
    /// The longest line delivered as bytes (default ``RegistryEntry/maximumLineBytes``).
    public var maximumLineBytes: Int
    /// The size of each read (default 1 MiB).
    public var blockBytes: Int = 1 << 20
    /// Decompressed bytes per compressed byte read, at most (default 1,000): an index of JSON Lines
    /// compresses about 5 to 1, a file of one line repeated about 200 to 1, while a decompression bomb
    /// (bzip2 turns a GiB of zeros into 785 bytes) would keep an import, and the registry's write
    /// lock, busy for hours. Checked while streaming, once ``expansionFloorBytes`` are inflated.
    public var maximumExpansion: Int64 = 1000
    /// Decompressed bytes below which the expansion is not checked (default 64 MiB).
    public var expansionFloorBytes: Int64 = 64 << 20

    /// A reader of `path`.
    public init(path: String, maximumLineBytes: Int = RegistryEntry.maximumLineBytes) {
        self.path = path
        self.maximumLineBytes = maximumLineBytes
    }

    /// Calls `body` with each non-blank line, in order.
    ///
    /// - Parameter body: receives the 1-based line number and the line; an error it throws stops the
    ///   read and is rethrown.
    /// - Returns: what the read saw.
    /// - Throws: `REGISTRY_INDEX_UNREADABLE` naming the file (and the line reached, for a corrupt
    ///   stream), or what `body` threw.
    @discardableResult
    public func forEachLine(_ body: (_ number: Int, _ line: Line) throws(RegistryError) -> Void)
        throws(RegistryError) -> Summary
    {
        let fd: Int32
        do {
            fd = try SystemCall.open(path, [.nonBlocking])
        } catch {
            throw RegistryError(.indexUnreadable, "\(path): cannot open the index file: \(error.errno.message)")
        }
        defer { SystemCall.close(fd) }
        let status: FileStatus
        do {
            status = try SystemCall.fileStatus(fd, step: "fstat \(path)")
        } catch {
            throw RegistryError(.indexUnreadable, "\(path): \(error.step): \(error.errno.message)")
        }
        guard status.kind == .regular else {
            throw RegistryError(.indexUnreadable, "\(path): not a regular file (an index file is JSON Lines)")
        }

        var splitter = LineSplitter(maximumLineBytes: maximumLineBytes)
        if try startsWithGzipMagic(fd) {
            let bytes = try GzipStream.inflate(fd: fd, path: path, blockBytes: blockBytes) {
                (block, inflated, consumed) throws(RegistryError) in
                try checkExpansion(inflated: inflated, consumed: consumed, compression: "gzip")
                try splitter.feed(block, body)
            }
            try splitter.finish(body)
            return Summary(lines: splitter.lineNumber, compression: "gzip", bytes: bytes)
        }

        guard let a = archive_read_new() else {
            throw RegistryError(.indexUnreadable, "\(path): archive_read_new failed")
        }
        defer { archive_read_free(a) }
        archive_read_support_filter_none(a)
        archive_read_support_filter_gzip(a)
        archive_read_support_filter_xz(a)
        archive_read_support_filter_lzma(a)
        archive_read_support_filter_bzip2(a)
        archive_read_support_filter_zstd(a)
        archive_read_support_filter_lz4(a)
        archive_read_support_format_raw(a)
        archive_read_support_format_empty(a)
        func failure(_ what: String) -> RegistryError {
            let reason = archive_error_string(a).map { String(cString: $0) } ?? "unknown error"
            return RegistryError(.indexUnreadable, "\(path): \(what): \(reason)")
        }
        guard archive_read_open_fd(a, fd, blockBytes) == ARCHIVE_OK else { throw failure("cannot read") }
        var entry: OpaquePointer?
        let header = archive_read_next_header(a, &entry)
        let compression = archive_filter_name(a, 0).map { String(cString: $0) } ?? "none"
        if header == ARCHIVE_EOF { return Summary(lines: 0, compression: compression, bytes: 0) }
        guard header == ARCHIVE_OK || header == ARCHIVE_WARN else {
            throw failure("not a readable \(compression == "none" ? "" : compression + " ")stream")
        }

        var bytes: Int64 = 0
        while true {
            var block: UnsafeRawPointer?
            var size = 0
            var offset: Int64 = 0
            let status = archive_read_data_block(a, &block, &size, &offset)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
                throw failure(
                    "the \(compression) stream is corrupt or truncated (after line \(splitter.lineNumber))")
            }
            guard let block, size > 0 else { continue }
            bytes += Int64(size)
            if compression != "none" {
                try checkExpansion(inflated: bytes, consumed: archive_filter_bytes(a, -1), compression: compression)
            }
            try splitter.feed(UnsafeBufferPointer(start: block.assumingMemoryBound(to: UInt8.self), count: size), body)
        }
        try splitter.finish(body)
        return Summary(lines: splitter.lineNumber, compression: compression, bytes: bytes)
    }

    /// Refuses a stream that expands more than ``maximumExpansion`` times what was read of the file.
    private func checkExpansion(inflated: Int64, consumed: Int64, compression: String) throws(RegistryError) {
        guard inflated > expansionFloorBytes, inflated / max(consumed, 1) > maximumExpansion else { return }
        throw RegistryError(
            .indexUnreadable,
            "\(path): the \(compression) stream expands more than \(maximumExpansion) times (\(consumed) bytes gave "
                + "\(inflated)): a decompression bomb, not an index")
    }

    /// Whether the file starts with the gzip magic number; leaves `fd` at the start of the file.
    private func startsWithGzipMagic(_ fd: Int32) throws(RegistryError) -> Bool {
        do throws(SystemCallError) {
            var prefix: (UInt8, UInt8) = (0, 0)
            let count = try withUnsafeMutableBytes(of: &prefix) { (buffer) throws(SystemCallError) in
                try SystemCall.read(fd, into: buffer, step: "read \(path)")
            }
            try SystemCall.seek(fd, to: 0, step: "lseek \(path)")
            return count == 2 && prefix.0 == 0x1F && prefix.1 == 0x8B
        } catch {
            throw RegistryError(.indexUnreadable, "\(path): \(error.step): \(error.errno.message)")
        }
    }
}

/// Splits blocks into lines, carrying a partial line (at most the limit) from one block to the next.
struct LineSplitter {
    let maximumLineBytes: Int
    /// The number of the last line delivered or skipped.
    private(set) var lineNumber = 0
    /// The start of a line that did not end in the previous block.
    private var carry: [UInt8] = []
    /// The length of the current line when it is over the limit (its bytes are dropped), else -1.
    private var overLength = -1
    private var atStart = true

    init(maximumLineBytes: Int) { self.maximumLineBytes = maximumLineBytes }

    mutating func feed(
        _ block: UnsafeBufferPointer<UInt8>, _ body: (Int, IndexFileReader.Line) throws(RegistryError) -> Void
    ) throws(RegistryError) {
        guard let base = block.baseAddress else { return }
        var start = 0
        let count = block.count
        while start < count {
            guard let found = memchr(base + start, 0x0A, count - start) else {
                keep(UnsafeBufferPointer(start: base + start, count: count - start))
                return
            }
            let end = UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - base
            if carry.isEmpty, overLength < 0 {
                try deliver(UnsafeBufferPointer(start: base + start, count: end - start), body)
            } else {
                keep(UnsafeBufferPointer(start: base + start, count: end - start))
                try deliverCarried(body)
            }
            start = end + 1
        }
    }

    /// Delivers the last line when the file does not end with a newline.
    mutating func finish(_ body: (Int, IndexFileReader.Line) throws(RegistryError) -> Void) throws(RegistryError) {
        if !carry.isEmpty || overLength >= 0 { try deliverCarried(body) }
    }

    private mutating func keep(_ bytes: UnsafeBufferPointer<UInt8>) {
        if overLength >= 0 {
            overLength += bytes.count
        } else if carry.count + bytes.count > maximumLineBytes + 1 {  // + 1: a `\r` before the newline
            overLength = carry.count + bytes.count
            carry = []
        } else {
            carry.append(contentsOf: bytes)
        }
    }

    private mutating func deliverCarried(_ body: (Int, IndexFileReader.Line) throws(RegistryError) -> Void)
        throws(RegistryError)
    {
        if overLength >= 0 {
            lineNumber += 1
            atStart = false
            let length = overLength
            overLength = -1
            try body(lineNumber, .tooLong(byteCount: length))
            return
        }
        let line = carry
        carry.removeAll(keepingCapacity: true)
        try line.withUnsafeBufferPointer { (buffer) throws(RegistryError) in try deliver(buffer, body) }
    }

    private mutating func deliver(
        _ raw: UnsafeBufferPointer<UInt8>, _ body: (Int, IndexFileReader.Line) throws(RegistryError) -> Void
    ) throws(RegistryError) {
        lineNumber += 1
        var line = raw
        if atStart {
            atStart = false
            if line.count >= 3, line[0] == 0xEF, line[1] == 0xBB, line[2] == 0xBF {
                line = UnsafeBufferPointer(rebasing: line[3...])
            }
        }
        if let last = line.last, last == 0x0D { line = UnsafeBufferPointer(rebasing: line[..<(line.count - 1)]) }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
        if line.count > maximumLineBytes {
            try body(lineNumber, .tooLong(byteCount: line.count))
        } else {
            try body(lineNumber, .bytes(line))
        }
    }
}
