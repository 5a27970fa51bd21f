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
    mutating func feed<Bytes: Sequence>(_ bytes: Bytes) throws(OmegaError) -> [ServerSentEvent]
    where Bytes.Element == UInt8 {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") && afterCarriageReturn {
                afterCarriageReturn = false
                continue
            }
            afterCarriageReturn = byte == UInt8(ascii: "\r")
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if let event = endLine() { events.append(event) }
                continue
            }
            guard line.count < Self.maximumLineBytes else {
                throw OmegaError(
                    .internalError,
                    "the model's stream sent a line longer than \(Self.maximumLineBytes) bytes (1 MiB), refused")
            }
            line.append(byte)
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
