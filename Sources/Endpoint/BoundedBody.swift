import Hummingbird

/// A request body read into memory up to a limit. A declared `Content-Length` over the limit is
/// refused before a byte is read; a chunked body is read until the first chunk that passes it. What
/// is left is never buffered (the server discards it before the next request on the connection).
enum BoundedBody {
    /// The body, or how many bytes were declared or seen when it passed the limit.
    enum Outcome: Sendable {
        /// The whole body.
        case complete([UInt8])
        /// Longer than the limit: at least this many bytes.
        case tooLarge(bytes: Int)
    }

    /// Reads `request`'s body, at most `limit` bytes.
    ///
    /// - Throws: What the connection throws (the client went away mid-body).
    static func read(_ request: Request, limit: Int) async throws -> Outcome {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            return .tooLarge(bytes: declared)
        }
        var bytes: [UInt8] = []
        for try await buffer in request.body {
            let total = bytes.count + buffer.readableBytes
            if total > limit { return .tooLarge(bytes: total) }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        return .complete(bytes)
    }
}
