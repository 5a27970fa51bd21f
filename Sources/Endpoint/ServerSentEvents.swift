import Foundation
import Hummingbird
import JSON
import ToolRuntime

/// A `text/event-stream` response for the `/api` streams (a conversation's events, a run's events):
/// each event as `id:`, `event:` and one `data:` line of compact JSON, with a keepalive comment after
/// each quiet ``keepaliveInterval`` (so proxies keep the connection and a closed one is noticed).
///
/// The stream is written by its own task: a slow or stalled client holds only its own stream, never
/// another request. When the client goes away the event source is cancelled (its iterator's task),
/// and `onClose` runs once in every case.
enum ServerSentEvents {
    /// One event.
    struct Event: Sendable {
        var id: String?
        var type: String
        var data: JSONValue
    }

    static let keepaliveInterval: Duration = .seconds(15)

    private enum Item: Sendable {
        case event(Event)
        case keepalive
        case failed(String)
        case end
    }

    /// The response streaming `events`. The events are pulled one at a time, each only after the one
    /// before was written to the connection: a slow client slows its own stream and nothing piles up.
    static func response<Events: AsyncSequence & Sendable>(
        _ events: Events, headers extra: HTTPFields = [:], onClose: @escaping @Sendable () -> Void = {}
    ) -> Response where Events.Element == Event {
        var headers: HTTPFields = [
            .contentType: "text/event-stream", .cacheControl: "no-store", .xContentTypeOptions: "nosniff",
        ]
        headers.append(contentsOf: extra)
        let body = ResponseBody { writer in
            let handoff = Handoff<Item>()
            let source = Task {
                do {
                    for try await event in events {
                        guard await handoff.put(.event(event)) else { return }
                    }
                    _ = await handoff.put(.end)
                } catch {
                    _ = await handoff.put(.failed("\(error)"))
                }
            }
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: keepaliveInterval)
                    if Task.isCancelled { break }
                    guard await handoff.put(.keepalive) else { return }
                }
            }
            defer {
                handoff.close()
                source.cancel()
                ticker.cancel()
                onClose()
            }
            while let item = await handoff.take() {
                let text: String
                switch item {
                case .event(let event): text = render(event)
                case .keepalive: text = ": keepalive\n\n"
                case .failed(let message):
                    text = render(
                        Event(
                            id: nil, type: "error",
                            data: ["success": false, "error": .string(message), "details": ["code": "INTERNAL_ERROR"]]))
                case .end:
                    try await writer.finish(nil)
                    return
                }
                try await writer.write(ByteBuffer(string: text))
                if case .failed = item {
                    try await writer.finish(nil)
                    return
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// `id: …\nevent: …\ndata: {…}\n\n` (compact JSON is one line; the id and type never hold a line break).
    static func render(_ event: Event) -> String {
        var text = ""
        if let id = event.id { text += "id: \(id)\n" }
        text += "event: \(event.type)\ndata: \(event.data.jsonText)\n\n"
        return text
    }

    /// The `Last-Event-ID` header as a sequence number: 0 when absent, `INVALID_INPUT` naming it when it
    /// is not a non-negative integer.
    static func lastEventID(_ headers: HTTPFields) -> Result<Int64, OmegaError> {
        guard let text = headers[HeaderName("Last-Event-ID")!] else { return .success(0) }
        guard let value = Int64(text.trimmingCharacters(in: .whitespaces)), value >= 0 else {
            return .failure(
                OmegaError(
                    .invalidInput, "Last-Event-ID: expected the id of an event of this stream (an integer)",
                    details: ["field": "Last-Event-ID"]))
        }
        return .success(value)
    }
}
