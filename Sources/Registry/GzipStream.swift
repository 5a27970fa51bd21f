import CZlib
import SystemCalls

/// Inflates a gzip file through zlib, which checks each member's CRC-32 and length: libarchive's gzip
/// filter skips the trailer unchecked, so a corrupted member could inflate into wrong lines silently.
///
/// Concatenated members (`cat a.gz b.gz`) are read one after the other; anything else after a member,
/// a stream that ends inside a member, or a failed check is a `REGISTRY_INDEX_UNREADABLE` error naming
/// the file.
struct GzipStream {
    /// Reads `fd` (positioned at the start of the file) to its end, passing each inflated block to `body`
    /// with the bytes inflated and read from the file so far.
    ///
    /// - Returns: the inflated byte count.
    static func inflate(
        fd: Int32, path: String, blockBytes: Int,
        _ body: (UnsafeBufferPointer<UInt8>, _ inflated: Int64, _ consumed: Int64) throws(RegistryError) -> Void
    ) throws(RegistryError) -> Int64 {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw RegistryError(.indexUnreadable, "\(path): zlib could not start")
        }
        defer { inflateEnd(&stream) }
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: blockBytes, alignment: 16)
        defer { input.deallocate() }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: blockBytes, alignment: 16)
        defer { output.deallocate() }
        let outputBase = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var total: Int64 = 0
        var consumed: Int64 = 0
        var insideMember = false

        func corrupt(_ status: Int32) -> RegistryError {
            let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
            return RegistryError(
                .indexUnreadable, "\(path): the gzip stream is corrupt (\(reason)) after \(total) inflated bytes")
        }

        while true {
            let count: Int
            do {
                count = try SystemCall.read(fd, into: input, step: "read \(path)")
            } catch {
                throw RegistryError(.indexUnreadable, "\(path): \(error.step): \(error.errno.message)")
            }
            if count == 0 { break }
            consumed += Int64(count)
            stream.next_in = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.avail_in = UInt32(count)
            // Until the block is consumed and zlib has no output left for it.
            var stalled = false
            repeat {
                if stream.avail_in > 0 { insideMember = true }
                stream.next_out = outputBase
                stream.avail_out = UInt32(blockBytes)
                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                let produced = blockBytes - Int(stream.avail_out)
                if produced > 0 {
                    total += Int64(produced)
                    try body(UnsafeBufferPointer(start: outputBase, count: produced), total, consumed)
                }
                switch status {
                case Z_OK:
                    break
                case Z_STREAM_END:
                    // A member ended, its CRC-32 and length checked; another may follow.
                    insideMember = false
                    guard inflateReset(&stream) == Z_OK else { throw corrupt(status) }
                case Z_BUF_ERROR:
                    stalled = true  // no progress without more input
                default:
                    throw corrupt(status)
                }
            } while !stalled && (stream.avail_in > 0 || stream.avail_out == 0)
        }
        if insideMember {
            throw RegistryError(
                .indexUnreadable, "\(path): the gzip stream is truncated (it ends inside a member) after \(total) bytes"
            )
        }
        return total
    }
}
