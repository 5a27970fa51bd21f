/// Splits a byte stream into newline-delimited frames (the MCP stdio transport), never holding more
/// than `maximumBytes` of one frame: the rest of an oversized line is skipped as it arrives and the
/// frame is reported as ``Frame/oversized(_:)`` once its newline comes, so a 10 MB line costs no
/// more memory than the limit and the stream stays in step.
public struct FrameReader: Sendable {
    /// One frame read.
    public enum Frame: Sendable, Equatable {
        /// A line (without its `\n` and a trailing `\r`), not empty.
        case line([UInt8])
        /// A line longer than the limit; its length in bytes.
        case oversized(Int)
    }

    /// The longest line kept.
    public let maximumBytes: Int
    private var buffer: [UInt8] = []
    private var skipped = 0
    private var skipping = false

    /// A reader keeping lines of at most `maximumBytes`.
    public init(maximumBytes: Int) { self.maximumBytes = maximumBytes }

    /// Feeds bytes in; returns every frame they complete, in order. Empty lines are skipped.
    public mutating func feed(_ chunk: some Collection<UInt8>) -> [Frame] {
        var frames: [Frame] = []
        var start = chunk.startIndex
        while start != chunk.endIndex {
            if let newline = chunk[start...].firstIndex(of: 10) {
                append(chunk[start..<newline])
                if let frame = finishLine() { frames.append(frame) }
                start = chunk.index(after: newline)
            } else {
                append(chunk[start...])
                break
            }
        }
        return frames
    }

    /// Ends the stream: the last line when it had no newline.
    public mutating func finish() -> Frame? { finishLine() }

    private mutating func append(_ bytes: some Collection<UInt8>) {
        if skipping {
            skipped += bytes.count
        } else if buffer.count + bytes.count > maximumBytes {
            skipping = true
            skipped = buffer.count + bytes.count
            buffer = []
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    private mutating func finishLine() -> Frame? {
        defer {
            buffer.removeAll(keepingCapacity: buffer.count <= 1 << 16)
            skipping = false
            skipped = 0
        }
        if skipping { return .oversized(skipped) }
        if buffer.last == 13 { buffer.removeLast() }
        return buffer.isEmpty ? nil : .line(buffer)
    }
}
