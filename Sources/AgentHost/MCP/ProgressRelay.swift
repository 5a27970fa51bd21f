import JSON
import RunStorage

/// Turns a run's events into `notifications/progress` for one call, in order, on the call's
/// connection: progress is the event's sequence number (it only grows, across pauses too) and the
/// message names the event. Events are already redacted; nothing secret reaches the client.
final class ProgressRelay: Sendable {
    private let continuation: AsyncStream<RunEvent>.Continuation
    private let task: Task<Void, Never>

    /// A relay for `token` over `outbound`; `onClosed` runs once if the client is gone.
    init(token: JSONValue, outbound: any MCPOutbound, onClosed: @escaping @Sendable () -> Void) {
        let (stream, continuation) = AsyncStream<RunEvent>.makeStream()
        self.continuation = continuation
        task = Task {
            var open = true
            for await event in stream where open {
                let params: JSONValue = [
                    "progressToken": token, "progress": .number(Double(event.sequence)),
                    "message": .string(Self.message(for: event)),
                ]
                if !(await outbound.send(JSONRPCMessage.notificationFrame("notifications/progress", params))) {
                    open = false
                    onClosed()
                }
            }
        }
    }

    /// Queues an event.
    func yield(_ event: RunEvent) { continuation.yield(event) }

    /// Sends what is queued and stops.
    func finish() async {
        continuation.finish()
        await task.value
    }

    static func message(for event: RunEvent) -> String {
        var text = event.type.rawValue
        if let step = event.data["step"]?.stringValue { text += " " + step }
        if event.type == .toolFinished, let status = event.data["verdict"]?["status"]?.stringValue {
            text += " (" + status + ")"
        }
        return text
    }
}
