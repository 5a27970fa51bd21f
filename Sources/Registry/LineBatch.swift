import Dispatch
import Foundation

/// Lines of an index file copied out of the reader and decoded together on another thread, so that an
/// import parses and prepares one batch while the database writes the previous one.
///
/// Owned by one thread at a time: the reader fills it, ``decode()`` runs once on a decoding thread, and
/// ``decoded()`` (which waits for it) hands the results back; the semaphore orders the hand-overs.
final class LineBatch: @unchecked Sendable {
    /// What one line became.
    enum Decoded {
        /// An entry, ready for the tables.
        case entry(PreparedEntry)
        /// A skipped line.
        case problem(IndexProblem)
    }

    /// A batch is handed over when it holds this many bytes…
    static let maximumBytes = 4 << 20
    /// …or this many lines.
    static let maximumLines = 8192

    private let origin: RegistryEntry.Origin
    private var bytes: [UInt8] = []
    /// Line number, start in `bytes`, length; a length of -1 marks a line over the limit whose length
    /// is in `start`.
    private var lines: [(number: Int, start: Int, count: Int)] = []
    private var results: [Decoded] = []
    private let done = DispatchSemaphore(value: 0)

    init(origin: RegistryEntry.Origin) {
        self.origin = origin
        bytes.reserveCapacity(Self.maximumBytes + RegistryEntry.maximumLineBytes)
        lines.reserveCapacity(Self.maximumLines)
    }

    /// Whether the batch should be handed over.
    var isFull: Bool { bytes.count >= Self.maximumBytes || lines.count >= Self.maximumLines }

    /// Copies one line in.
    func append(_ number: Int, _ line: IndexFileReader.Line) {
        switch line {
        case .bytes(let buffer):
            lines.append((number, bytes.count, buffer.count))
            bytes.append(contentsOf: buffer)
        case .tooLong(let count):
            lines.append((number, count, -1))
        }
    }

    /// Decodes every line (call once, on any thread), then releases ``decoded()``. The lines are split
    /// between as many threads as there are processors (two halves on this appliance's two cores): the
    /// thread writing the previous batch is mostly waiting on SQLite meanwhile.
    func decode() {
        let parts = max(1, min(Self.decodingThreads, lines.count / 256))
        var partial = [[Decoded]](repeating: [], count: parts)
        partial.withUnsafeMutableBufferPointer { output in
            nonisolated(unsafe) let output = output
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let start = lines.count * part / parts
                let end = lines.count * (part + 1) / parts
                output[part] = decode(start..<end)
            }
        }
        results = parts == 1 ? partial[0] : Array(partial.joined())
        bytes = []
        lines = []
        done.signal()
    }

    /// Threads that decode one batch.
    static let decodingThreads = ProcessInfo.processInfo.activeProcessorCount

    private func decode(_ range: Range<Int>) -> [Decoded] {
        var results: [Decoded] = []
        results.reserveCapacity(range.count)
        bytes.withUnsafeBufferPointer { all in
            for (number, start, count) in lines[range] {
                guard count >= 0 else {
                    results.append(
                        .problem(
                            IndexProblem(
                                line: number, field: "",
                                message:
                                    "the line is \(start) bytes, over the \(RegistryEntry.maximumLineBytes)-byte limit")
                        ))
                    continue
                }
                do throws(IndexLineError) {
                    let entry = try RegistryEntry.decode(
                        bytes: UnsafeBufferPointer(rebasing: all[start..<(start + count)]), origin: origin)
                    results.append(.entry(PreparedEntry(entry)))
                } catch {
                    results.append(.problem(IndexProblem(line: number, field: error.field, message: error.message)))
                }
            }
        }
        return results
    }

    /// The decoded lines in file order, once ``decode()`` has finished.
    func decoded() -> [Decoded] {
        done.wait()
        return results
    }
}
