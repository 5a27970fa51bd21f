import AsyncHTTPClient
import Foundation
import JSON
import NIOCore
import Synchronization

/// Event types that end a message's stream (ConversationService.terminalEvents).
let terminalEvents: Set<String> = [
    "message.completed", "message.failed", "message.cancelled", "message.interrupted", "message.paused",
]

/// One message posted and its SSE stream read to the end.
struct MessageResult: Sendable {
    /// Why it did not end with `message.completed` (nil: it did, cleanly).
    var error: String?
    var errorDetail: String?
    /// From sending the POST to the first complete event, and to `message.completed` (ms).
    var firstEventMs: Double?
    var completedMs: Double?
    /// The ids received, in order.
    var ids: [Int64] = []
    /// First arrival of each event type, ms after the POST was sent.
    var arrivals: [String: Double] = [:]
    /// Wall-clock split of the time to the first event (ms): POST sent → the server's `send` began (the
    /// user message's `createdAt`), → the response head arrived, → the first event arrived.
    var toServerMs: Double?
    var serverToHeadMs: Double?
    var headToFirstMs: Double?
    /// The client's first message (all clients start at once: the start burst).
    var isFirstOfClient = false
}

/// Posts `content` to conversation `id` and reads its stream to its end, checking it: HTTP 200 and
/// `text/event-stream`, every event with an id one above the one before and exactly one `data:` line
/// of JSON, the first `message.created`, the last `message.completed` and nothing after it.
func postMessage(_ api: API, key: String, conversation id: String, content: String, timeout: Int64) async
    -> MessageResult
{
    var result = MessageResult()
    func failed(_ kind: String, _ detail: String? = nil) -> MessageResult {
        var copy = result
        copy.error = kind
        copy.errorDetail = detail
        return copy
    }
    let request = api.request(
        "POST", "/api/omega/conversations/\(id)/messages", key: key, body: ["content": .string(content)],
        accept: "text/event-stream")
    let wallStart = wallMs()
    let start = now()
    do {
        let response = try await api.client.execute(request, deadline: NIODeadline.now() + TimeAmount.seconds(timeout))
        let head = now()
        let status = Int(response.status.code)
        guard status == 200 else {
            let body = (try? await response.body.collect(upTo: 1 << 20)).map { String(buffer: $0) } ?? ""
            let code = (try? JSONParser().parse(body))?["details"]?["code"]?.stringValue ?? "?"
            return failed("http \(status) \(code)", body)
        }
        let contentType = response.headers.first(name: "Content-Type") ?? ""
        guard contentType.hasPrefix("text/event-stream") else { return failed("not an event stream", contentType) }
        var parser = SSEParser()
        var terminal: String?
        for try await buffer in response.body {
            for event in parser.feed(buffer.readableBytesView) {
                let at = now()
                let elapsed = (at - start) * 1000
                if result.firstEventMs == nil {
                    result.firstEventMs = elapsed
                    result.headToFirstMs = (at - head) * 1000
                }
                guard let type = event.type else { return failed("event without a type") }
                guard let text = event.id, let id = Int64(text) else { return failed("event without an id", type) }
                if let last = result.ids.last, id != last + 1 {
                    result.ids.append(id)
                    return failed("gap in ids", "\(last) then \(id) (\(type))")
                }
                result.ids.append(id)
                if result.arrivals[type] == nil { result.arrivals[type] = elapsed }
                guard event.dataLines.count == 1 else {
                    return failed("event without exactly one data line", "\(type): \(event.dataLines.count) lines")
                }
                if terminal != nil { return failed("events after the terminal event", "\(terminal!) then \(type)") }
                if result.ids.count == 1 {
                    guard type == "message.created" else { return failed("first event not message.created", type) }
                    guard let data = try? JSONParser().parse(event.dataLines[0]) else {
                        return failed("data not JSON", type)
                    }
                    if case .integer(let created)? = data["userMessage"]?["createdAt"] {
                        result.toServerMs = Double(created) - wallStart
                        result.serverToHeadMs = (head - start) * 1000 - Double(created) + wallStart
                    }
                } else if type == "error" {
                    return failed("error event", event.dataLines.first)
                }
                if terminalEvents.contains(type) {
                    terminal = type
                    if type == "message.completed" { result.completedMs = elapsed }
                }
            }
        }
        guard let terminal else {
            return failed("stream ended before a terminal event", "after \(result.ids.count) events")
        }
        guard terminal == "message.completed" else { return failed("ended with \(terminal)") }
        return result
    } catch {
        if result.ids.isEmpty { return failed("transport error before the first event", "\(error)") }
        return failed("transport error mid-stream", "\(error)")
    }
}

/// Creates a conversation; its id.
func createConversation(_ api: API, key: String) async -> Result<String, BenchFailure> {
    do {
        let (status, text) = try await api.call("POST", "/api/omega/conversations", key: key, body: [:], timeout: 60)
        guard status == 201, let id = (try? JSONParser().parse(text))?["id"]?.stringValue else {
            let code = (try? JSONParser().parse(text))?["details"]?["code"]?.stringValue ?? "?"
            return .failure(BenchFailure(kind: "create: http \(status) \(code)", detail: text))
        }
        return .success(id)
    } catch {
        return .failure(BenchFailure(kind: "create: transport error", detail: "\(error)"))
    }
}

struct BenchFailure: Error, Sendable {
    var kind: String
    var detail: String
}

/// A conversation a client used: which key, and every event id its streams delivered.
struct ConversationTrace: Sendable {
    var id: String
    var key: String
    var received: [Int64] = []
    var messages = 0
    var errors = 0
}

/// What the load gathered.
struct LoadResult: Sendable {
    var messages: [MessageResult] = []
    var conversations: [ConversationTrace] = []
    var createMs: [Double] = []
    var wallSeconds = 0.0
}

/// `clients` clients, each looping for `seconds`: (a new conversation every `perConversation` messages,
/// 0: one for the whole run) post `content`, read the stream to its end. Messages started before the
/// deadline are read to their end. With `ramp` > 0, client i starts `i × ramp / clients` seconds in.
func runLoad(
    _ api: API, keys: [String], clients: Int, seconds: Double, perConversation: Int, content: String, ramp: Double,
    errors: Tally
) async -> LoadResult {
    let started = now()
    let deadline = started + seconds
    let progress = Progress(started)
    var result = LoadResult()
    await withTaskGroup(of: LoadResult.self) { group in
        for index in 0..<clients {
            let key = keys[index % keys.count]
            group.addTask {
                var mine = LoadResult()
                var current: ConversationTrace?
                if ramp > 0 { try? await Task.sleep(for: .seconds(ramp * Double(index) / Double(clients))) }
                while now() < deadline {
                    if current == nil || (perConversation > 0 && current!.messages >= perConversation)
                        || current!.errors > 0
                    {
                        if let done = current { mine.conversations.append(done) }
                        current = nil
                        let t0 = now()
                        switch await createConversation(api, key: key) {
                        case .success(let id):
                            mine.createMs.append((now() - t0) * 1000)
                            current = ConversationTrace(id: id, key: key)
                        case .failure(let failure):
                            errors.add(failure.kind, example: failure.detail)
                            try? await Task.sleep(for: .milliseconds(100))
                            continue
                        }
                    }
                    var message = await postMessage(
                        api, key: key, conversation: current!.id, content: content, timeout: 300)
                    message.isFirstOfClient = mine.messages.isEmpty
                    current!.messages += 1
                    current!.received += message.ids
                    if let error = message.error {
                        current!.errors += 1
                        errors.add(error, example: message.errorDetail)
                    }
                    mine.messages.append(message)
                    let report = progress.state.withLock { state -> String? in
                        state.messages += 1
                        let t = now()
                        guard t - state.lastReport >= 10 else { return nil }
                        state.lastReport = t
                        return "  \(Int(t - started)) s: \(state.messages) messages, errors \(errors.total)"
                    }
                    if let report { note(report) }
                }
                if let done = current { mine.conversations.append(done) }
                return mine
            }
        }
        for await part in group {
            result.messages += part.messages
            result.conversations += part.conversations
            result.createMs += part.createMs
        }
    }
    result.wallSeconds = now() - started
    return result
}

/// Messages done so far and when that was last reported.
final class Progress: Sendable {
    let state: Mutex<(messages: Int, lastReport: Double)>
    init(_ started: Double) { state = Mutex((0, started)) }
}

/// The stored stream of a conversation (`GET …/events` from 0, which ends once it is idle): its ids.
func storedEvents(_ api: API, key: String, conversation id: String) async -> Result<[Int64], BenchFailure> {
    let request = api.request("GET", "/api/omega/conversations/\(id)/events", key: key, accept: "text/event-stream")
    do {
        let response = try await api.client.execute(request, deadline: NIODeadline.now() + TimeAmount.seconds(120))
        guard response.status.code == 200 else {
            let body = (try? await response.body.collect(upTo: 1 << 20)).map { String(buffer: $0) } ?? ""
            return .failure(BenchFailure(kind: "events: http \(response.status.code)", detail: body))
        }
        var parser = SSEParser()
        var ids: [Int64] = []
        for try await buffer in response.body {
            for event in parser.feed(buffer.readableBytesView) {
                guard let text = event.id, let id = Int64(text) else {
                    return .failure(BenchFailure(kind: "events: event without an id", detail: event.type ?? ""))
                }
                ids.append(id)
            }
        }
        return .success(ids)
    } catch {
        return .failure(BenchFailure(kind: "events: transport error", detail: "\(error)"))
    }
}

/// The check of a sample of conversations: what the server stored against what the streams delivered.
struct VerifyResult: Sendable {
    var conversations = 0
    var stored = 0
    var received = 0
    /// Stored, never delivered (in conversations whose streams all ended cleanly).
    var lost = 0
    /// Stored, never delivered, in conversations where a stream failed (already counted as errors).
    var lostAfterErrors = 0
    /// Delivered, not stored (never expected).
    var unexpected = 0
    /// Stored streams not numbered 1, 2, 3, … without a gap.
    var storedGaps = 0
    var failures = 0
}

func verify(_ api: API, sample: [ConversationTrace], errors: Tally) async -> VerifyResult {
    var result = VerifyResult()
    for trace in sample {
        switch await storedEvents(api, key: trace.key, conversation: trace.id) {
        case .failure(let failure):
            result.failures += 1
            errors.add("verify: " + failure.kind, example: failure.detail)
        case .success(let ids):
            result.conversations += 1
            result.stored += ids.count
            result.received += trace.received.count
            if ids != (0..<ids.count).map({ Int64($0 + 1) }) { result.storedGaps += 1 }
            let received = Set(trace.received)
            let stored = Set(ids)
            let missing = stored.subtracting(received).count
            if trace.errors == 0 { result.lost += missing } else { result.lostAfterErrors += missing }
            result.unexpected += received.subtracting(stored).count
        }
    }
    return result
}
