import ToolRuntime

/// One server-sent event: its `event:` name (`message` when the server gave none) and its `data:`
/// lines joined with `\n`.
struct ServerSentEvent: Sendable, Equatable {
    /// The `event:` field, `message` by default.
    var name: String
    /// The `data:` lines of the event, joined with `\n`.
    var data: String
}

/// Splits a `text/event-stream` body into events, as the WHATWG rules say: lines end with `\n`,
/// `\r\n` or `\r`; `data:` lines accumulate; a blank line dispatches; `:` lines are comments; `id:`
/// and `retry:` are ignored. An event not closed by a blank line before the end is dropped.
///
/// Guarantees that no line longer than ``maximumLineBytes`` is ever held: such a line fails the
/// stream with `INTERNAL_ERROR` as soon as it grows past the limit.
struct ServerSentEventParser {
    /// Longest line accepted, in bytes (1 MiB).
    static let maximumLineBytes = 1 << 20

    /// The bytes of the line being read.
    private var line: [UInt8] = []
    /// Whether the previous byte was a `\r` (so a following `\n` ends no new line).
    private var afterCarriageReturn = false
    /// The `event:` field of the event being read.
    private var eventName: String?
    /// The `data:` lines of the event being read.
    private var dataLines: [String] = []

    /// Feeds bytes and returns the events they complete, in order.
    ///
    /// - Parameter bytes: The next bytes of the body.
    /// - Returns: The events dispatched by these bytes (often none).
    /// - Throws: `INTERNAL_ERROR` when a line exceeds ``maximumLineBytes``.
    mutating func feed<Bytes: Collection>(_ bytes: Bytes) throws(OmegaError) -> [ServerSentEvent]
    where Bytes.Element == UInt8 {
        let lineFeed = UInt8(ascii: "\n")
        let carriageReturn = UInt8(ascii: "\r")
        var events: [ServerSentEvent] = []
        var index = bytes.startIndex
        while index != bytes.endIndex {
            if afterCarriageReturn {
                afterCarriageReturn = false
                if bytes[index] == lineFeed {
                    index = bytes.index(after: index)
                    continue
                }
            }
            let end = bytes[index...].firstIndex { $0 == lineFeed || $0 == carriageReturn }
            let piece = bytes[index..<(end ?? bytes.endIndex)]
            guard line.count + piece.count <= Self.maximumLineBytes else {
                throw OmegaError(
                    .internalError,
                    "the model's stream sent a line longer than \(Self.maximumLineBytes) bytes (1 MiB), refused")
            }
            line.append(contentsOf: piece)
            guard let end else { break }
            afterCarriageReturn = bytes[end] == carriageReturn
            if let event = endLine() { events.append(event) }
            index = bytes.index(after: end)
        }
        return events
    }

    /// Ends the current line: applies its field, or dispatches the event on a blank line.
    private mutating func endLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            defer {
                eventName = nil
                dataLines = []
            }
            guard !dataLines.isEmpty else { return nil }
            return ServerSentEvent(name: eventName ?? "message", data: dataLines.joined(separator: "\n"))
        }
        if line.first == UInt8(ascii: ":") { return nil }
        let field: String
        let value: String
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = String(decoding: line[..<colon], as: UTF8.self)
            var start = colon + 1
            if start < line.count && line[start] == UInt8(ascii: " ") { start += 1 }
            value = String(decoding: line[start...], as: UTF8.self)
        } else {
            field = String(decoding: line, as: UTF8.self)
            value = ""
        }
        switch field {
        case "data": dataLines.append(value)
        case "event": eventName = value
        default: break  // `id`, `retry` and unknown fields: not used here.
        }
        return nil
    }
}
