#if os(Linux)
import SystemCalls

/// Reads the lines of the log from an open descriptor, in chunks, up to a byte limit fixed when
/// reading starts (the size under the lock), so memory stays bounded by one chunk and one line
/// whatever the file's length.
struct AuditLineReader {
    /// One line of the file.
    enum Line {
        /// A line and its newline (the bytes exclude the newline).
        case complete([UInt8])
        /// A line over the limit: its length, newline included (the bytes were skipped).
        case overlong(Int)
        /// The last bytes of the file, with no newline after them.
        case incomplete([UInt8])
    }

    /// The bytes read per `read(2)`.
    static let chunkBytes = 1 << 20

    private let fd: Int32
    private let path: String
    private let maximumLineBytes: Int
    private var remaining: Int64
    private var buffer: [UInt8] = []
    private var start = 0
    /// The 1-based number of the line ``next()`` returned last.
    private(set) var lineNumber = 0

    /// A reader of the first `limit` bytes of `fd` (from its current offset); nil `fd` reads nothing.
    init(fd: Int32?, limit: Int64, maximumLineBytes: Int, path: String) {
        self.fd = fd ?? -1
        self.path = path
        self.maximumLineBytes = maximumLineBytes
        remaining = fd == nil ? 0 : limit
    }

    /// The next line, or nil at the end.
    ///
    /// - Throws: `INTERNAL_ERROR` when the file cannot be read.
    mutating func next() throws(AuditError) -> Line? {
        var skipped = 0
        var searchFrom = start
        while true {
            if let newline = buffer[searchFrom...].firstIndex(of: UInt8(ascii: "\n")) {
                let length = newline - start
                let line = Array(buffer[start..<newline])
                start = newline + 1
                lineNumber += 1
                if skipped > 0 || length + 1 > maximumLineBytes { return .overlong(skipped + length + 1) }
                return .complete(line)
            }
            if buffer.count - start > maximumLineBytes {
                skipped += buffer.count - start
                buffer.removeAll(keepingCapacity: true)
                start = 0
            }
            if remaining == 0 {
                guard buffer.count > start || skipped > 0 else { return nil }
                let rest = Array(buffer[start...])
                buffer.removeAll()
                start = 0
                lineNumber += 1
                return skipped > 0 ? .overlong(skipped + rest.count) : .incomplete(rest)
            }
            buffer.removeFirst(start)
            start = 0
            searchFrom = buffer.count
            let want = Int(min(Int64(Self.chunkBytes), remaining))
            let chunk = try AuditFiles.mapped { () throws(SystemCallError) in
                try SystemCall.readAll(fd, upTo: want, step: "read \(path)")
            }
            if chunk.isEmpty {
                remaining = 0  // the file is shorter than when reading started
            } else {
                remaining -= Int64(chunk.count)
                buffer.append(contentsOf: chunk)
            }
        }
    }
}
#endif
