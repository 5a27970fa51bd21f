import ConversationStorage

/// A conversation's events after a sequence number, read from the store as the consumer asks for
/// them (nothing is buffered beyond one batch of at most 1,000, so a slow reader holds the server to
/// its own pace): first the events already stored, then each new one, woken by this process's
/// ``ConversationEventHub`` or found by a look at the store every ``ConversationService/pollInterval``.
///
/// With a message id it yields only that message's events and ends after its terminal event
/// (``ConversationService/terminalEvents``); without, it ends once the conversation is not running
/// and every stored event was delivered. Events come in order, without gaps or repeats; it ends when
/// the task is cancelled.
public struct ConversationEventStream: AsyncSequence, Sendable {
    public typealias Element = ConversationEvent
    public typealias Failure = any Error

    let store: ConversationStore
    let hub: ConversationEventHub
    let conversationID: String
    let after: Int64
    let messageID: String?

    /// Most events read from the store at once (an event's data is at most a few tens of KiB: tool
    /// outputs in events are excerpts), so one stream holds little while its reader is slow.
    static let batch = 32

    public func makeAsyncIterator() -> Iterator {
        Iterator(stream: self, last: after)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let stream: ConversationEventStream
        var last: Int64
        var buffer: [ConversationEvent] = []
        var finished = false

        init(stream: ConversationEventStream, last: Int64) {
            self.stream = stream
            self.last = last
        }

        public mutating func next() async throws -> ConversationEvent? {
            while !finished, !Task.isCancelled {
                if !buffer.isEmpty {
                    let event = buffer.removeFirst()
                    last = event.sequence
                    if let messageID = stream.messageID {
                        guard event.messageID == messageID else { continue }
                        if ConversationService.terminalEvents.contains(event.type) { finished = true }
                    }
                    return event
                }
                let seen = stream.hub.version(of: stream.conversationID)
                do throws(ConversationStoreError) {
                    buffer = try stream.store.events(
                        conversationID: stream.conversationID, after: last, limit: ConversationEventStream.batch)
                } catch {
                    throw ConversationService.storeFailure(error)
                }
                if !buffer.isEmpty { continue }
                if stream.messageID == nil {
                    let state = try? stream.store.conversation(id: stream.conversationID)?.state
                    if state != .running {
                        // Anything appended before the state changed is read now, or the stream ends.
                        buffer =
                            (try? stream.store.events(
                                conversationID: stream.conversationID, after: last, limit: ConversationEventStream.batch
                            ))
                            ?? []
                        if buffer.isEmpty { finished = true }
                        continue
                    }
                }
                await stream.hub.wait(
                    for: stream.conversationID, after: seen, timeout: ConversationService.pollInterval)
            }
            return nil
        }
    }
}
