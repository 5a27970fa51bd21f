import GRDB
import JSON

/// The event stream of each conversation.
extension ConversationStore {
    static func appendEvent(
        _ db: Database, conversationID: String, messageID: String, type: String, data: JSONValue, atMs: Int64
    ) throws -> ConversationEvent {
        let next =
            (try Int64.fetchOne(
                db, sql: "SELECT MAX(seq) FROM events WHERE conversation_id = ?", arguments: [conversationID]) ?? 0) + 1
        try db.execute(
            sql: "INSERT INTO events (conversation_id, seq, message_id, type, data, at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [conversationID, next, messageID, type, data.jsonText, atMs])
        return ConversationEvent(
            conversationID: conversationID, sequence: next, messageID: messageID, type: type, data: data, atMs: atMs)
    }

    /// Appends an event to a conversation's stream; its number is the next without a gap.
    public func appendEvent(conversationID: String, messageID: String, type: String, data: JSONValue, atMs: Int64)
        throws(ConversationStoreError) -> ConversationEvent
    {
        try write("append event") { db in
            try Self.appendEvent(
                db, conversationID: conversationID, messageID: messageID, type: type, data: data, atMs: atMs)
        }
    }

    /// The number of a conversation's last event (0 when it has none).
    public func lastEventSequence(conversationID: String) throws(ConversationStoreError) -> Int64 {
        try read("read the last event") { db in
            try Int64.fetchOne(
                db, sql: "SELECT MAX(seq) FROM events WHERE conversation_id = ?", arguments: [conversationID]) ?? 0
        }
    }

    /// A conversation's events after `sequence`, in order (at most `limit`).
    public func events(conversationID: String, after sequence: Int64, limit: Int = 1000)
        throws(ConversationStoreError) -> [ConversationEvent]
    {
        try read("read events") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, message_id, type, data, at FROM events
                    WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?
                    """,
                arguments: [conversationID, sequence, limit]
            ).map { row in
                ConversationEvent(
                    conversationID: conversationID, sequence: row["seq"], messageID: row["message_id"],
                    type: row["type"], data: Self.json(row["data"]) ?? .null, atMs: row["at"])
            }
        }
    }
}
