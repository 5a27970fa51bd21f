import GRDB
import JSON

/// Conversations and their messages.
extension ConversationStore {
    static let conversationColumns = """
        c.id, c.owner, c.title, c.state, c.created_at, c.updated_at, c.input_tokens, c.output_tokens,
        (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count
        """

    static func conversation(_ row: Row) -> ConversationRecord {
        ConversationRecord(
            id: row["id"], owner: row["owner"], title: row["title"],
            state: ConversationRecord.State(rawValue: row["state"]) ?? .idle, createdAtMs: row["created_at"],
            updatedAtMs: row["updated_at"], inputTokens: row["input_tokens"], outputTokens: row["output_tokens"],
            messageCount: row["message_count"])
    }

    static let messageColumns = """
        id, conversation_id, seq, role, author, key_id, content, status, reply_to, model, error, transcript,
        tool_call_count, input_tokens, output_tokens, created_at, updated_at, owner_process
        """

    static func message(_ row: Row) -> MessageRecord {
        MessageRecord(
            id: row["id"], conversationID: row["conversation_id"], sequence: row["seq"],
            role: MessageRecord.Role(rawValue: row["role"]) ?? .user, author: row["author"], keyID: row["key_id"],
            content: row["content"], status: MessageRecord.Status(rawValue: row["status"]) ?? .failed,
            replyTo: row["reply_to"], model: json(row["model"]), error: json(row["error"]),
            transcript: json(row["transcript"]), toolCallCount: row["tool_call_count"],
            inputTokens: row["input_tokens"], outputTokens: row["output_tokens"], createdAtMs: row["created_at"],
            updatedAtMs: row["updated_at"], ownerProcess: row["owner_process"])
    }

    /// Stores a new conversation.
    public func createConversation(_ record: ConversationRecord) throws(ConversationStoreError) {
        try write("create conversation") { db in
            try db.execute(
                sql: """
                    INSERT INTO conversations (id, owner, title, state, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.id, record.owner, record.title, record.state.rawValue, record.createdAtMs,
                    record.updatedAtMs,
                ])
        }
    }

    /// The conversation `id`, nil when there is none.
    public func conversation(id: String) throws(ConversationStoreError) -> ConversationRecord? {
        try read("read conversation") { db in
            try Row.fetchOne(
                db, sql: "SELECT \(Self.conversationColumns) FROM conversations c WHERE c.id = ?", arguments: [id]
            ).map(Self.conversation)
        }
    }

    /// `owner`'s conversations, most recently updated first.
    public func conversations(owner: String, limit: Int) throws(ConversationStoreError) -> [ConversationRecord] {
        try read("list conversations") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.conversationColumns) FROM conversations c WHERE c.owner = ?
                    ORDER BY c.updated_at DESC, c.id LIMIT ?
                    """,
                arguments: [owner, limit]
            ).map(Self.conversation)
        }
    }

    /// The messages of a conversation, in order.
    public func messages(conversationID: String) throws(ConversationStoreError) -> [MessageRecord] {
        try read("read messages") { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.messageColumns) FROM messages WHERE conversation_id = ? ORDER BY seq",
                arguments: [conversationID]
            ).map(Self.message)
        }
    }

    /// The last `limit` messages before `sequence` as (role, content), oldest first: what a model is shown
    /// of earlier exchanges (no transcript is read or parsed).
    public func exchangeTexts(conversationID: String, before sequence: Int64, limit: Int)
        throws(ConversationStoreError) -> [(role: MessageRecord.Role, content: String)]
    {
        try read("read history") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT role, content FROM messages WHERE conversation_id = ? AND seq < ?
                    ORDER BY seq DESC LIMIT ?
                    """,
                arguments: [conversationID, sequence, limit]
            ).reversed().map { (MessageRecord.Role(rawValue: $0["role"]) ?? .user, $0["content"] as String) }
        }
    }

    /// The message `id`, nil when there is none.
    public func message(id: String) throws(ConversationStoreError) -> MessageRecord? {
        try read("read message") { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.messageColumns) FROM messages WHERE id = ?", arguments: [id])
                .map(Self.message)
        }
    }

    /// What ``beginMessage(_:)`` found.
    public enum Begin: Sendable, Equatable {
        /// The messages are stored and the conversation runs them; `superseded` are the paused messages
        /// this closed (as they were), whose runs the caller cancels.
        case started(user: MessageRecord, assistant: MessageRecord, superseded: [MessageRecord])
        /// The conversation holds the most messages it may.
        case full
        /// Another message is running (its id).
        case busy(String)
        /// There is no such conversation.
        case notFound
    }

    /// Claims the conversation for a new exchange: stores the user's message and the assistant's
    /// (running) answer and marks the conversation running, in one transaction, unless a message is
    /// already running (``Begin/busy(_:)``). A paused message is superseded: it becomes `cancelled` and
    /// its pending credential requests `cancelled` (returned, so their runs can be cancelled).
    public func beginMessage(_ pair: (user: MessageRecord, assistant: MessageRecord)) throws(ConversationStoreError)
        -> Begin
    {
        try write("begin message") { db -> Begin in
            guard
                let state = try String.fetchOne(
                    db, sql: "SELECT state FROM conversations WHERE id = ?", arguments: [pair.user.conversationID])
            else { return .notFound }
            if state == ConversationRecord.State.running.rawValue {
                let running =
                    try String.fetchOne(
                        db,
                        sql:
                            "SELECT id FROM messages WHERE conversation_id = ? AND status = 'running' ORDER BY seq DESC",
                        arguments: [pair.user.conversationID]) ?? ""
                return .busy(running)
            }
            let now = pair.user.createdAtMs
            let count =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM messages WHERE conversation_id = ?",
                    arguments: [pair.user.conversationID]) ?? 0
            if count + 2 > Self.maximumMessages { return .full }
            let superseded = try Row.fetchAll(
                db,
                sql: "SELECT \(Self.messageColumns) FROM messages WHERE conversation_id = ? AND status = 'paused'",
                arguments: [pair.user.conversationID]
            ).map(Self.message)
            try db.execute(
                sql: """
                    UPDATE credential_requests SET status = 'cancelled', resolved_at = ?
                    WHERE conversation_id = ? AND status = 'pending'
                    """,
                arguments: [now, pair.user.conversationID])
            try db.execute(
                sql:
                    "UPDATE messages SET status = 'cancelled', updated_at = ? WHERE conversation_id = ? AND status = 'paused'",
                arguments: [now, pair.user.conversationID])
            let next =
                (try Int64.fetchOne(
                    db, sql: "SELECT MAX(seq) FROM messages WHERE conversation_id = ?",
                    arguments: [pair.user.conversationID]) ?? 0) + 1
            var user = pair.user
            var assistant = pair.assistant
            user.sequence = next
            assistant.sequence = next + 1
            try Self.insert(user, db)
            try Self.insert(assistant, db)
            try db.execute(
                sql: "UPDATE conversations SET state = 'running', updated_at = ? WHERE id = ?",
                arguments: [now, pair.user.conversationID])
            return .started(user: user, assistant: assistant, superseded: superseded)
        }
    }

    /// Most messages (user and assistant) one conversation holds.
    public static let maximumMessages = 1000

    /// Claims a paused message for the credentials of request `askID`: the request pending → provided
    /// (by `user`), the message paused → running, the conversation → running, all in one transaction, or
    /// nothing (false) when the request is not pending or the message not paused any more.
    public func claimCredentials(
        askID: String, messageID: String, conversationID: String, user: String, ownerProcess: String, nowMs: Int64
    ) throws(ConversationStoreError) -> Bool {
        try write("claim credentials") { db -> Bool in
            // One write transaction: nobody changes either row between these reads and the updates.
            let pending =
                try String.fetchOne(db, sql: "SELECT status FROM credential_requests WHERE id = ?", arguments: [askID])
                == CredentialAsk.Status.pending.rawValue
            let paused =
                try String.fetchOne(db, sql: "SELECT status FROM messages WHERE id = ?", arguments: [messageID])
                == MessageRecord.Status.paused.rawValue
            guard pending, paused else { return false }
            try db.execute(
                sql:
                    "UPDATE credential_requests SET status = 'provided', resolved_at = ?, resolved_by = ? WHERE id = ?",
                arguments: [nowMs, user, askID])
            try db.execute(
                sql: "UPDATE messages SET status = 'running', owner_process = ?, updated_at = ? WHERE id = ?",
                arguments: [ownerProcess, nowMs, messageID])
            try db.execute(
                sql: "UPDATE conversations SET state = 'running', updated_at = ? WHERE id = ?",
                arguments: [nowMs, conversationID])
            return true
        }
    }

    /// Cancels a paused message: paused → cancelled, its pending credential requests cancelled, the
    /// conversation idle, in one transaction; false when it was not paused (resumed meanwhile).
    public func cancelPaused(messageID: String, conversationID: String, nowMs: Int64) throws(ConversationStoreError)
        -> Bool
    {
        try write("cancel paused message") { db -> Bool in
            try db.execute(
                sql: "UPDATE messages SET status = 'cancelled', updated_at = ? WHERE id = ? AND status = 'paused'",
                arguments: [nowMs, messageID])
            guard db.changesCount == 1 else { return false }
            try db.execute(
                sql: """
                    UPDATE credential_requests SET status = 'cancelled', resolved_at = ?
                    WHERE message_id = ? AND status = 'pending'
                    """,
                arguments: [nowMs, messageID])
            try db.execute(
                sql: "UPDATE conversations SET state = 'idle', updated_at = ? WHERE id = ?",
                arguments: [nowMs, conversationID])
            return true
        }
    }

    static func insert(_ message: MessageRecord, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO messages (\(messageColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                message.id, message.conversationID, message.sequence, message.role.rawValue, message.author,
                message.keyID, message.content, message.status.rawValue, message.replyTo, text(message.model),
                text(message.error), text(message.transcript), message.toolCallCount, message.inputTokens,
                message.outputTokens, message.createdAtMs, message.updatedAtMs, message.ownerProcess,
            ])
    }

    /// Saves an assistant message's progress (content, status, transcript, counts, error).
    public func updateMessage(_ message: MessageRecord) throws(ConversationStoreError) {
        try write("update message") { db in
            try db.execute(
                sql: """
                    UPDATE messages SET content = ?, status = ?, model = ?, error = ?, transcript = ?,
                        tool_call_count = ?, input_tokens = ?, output_tokens = ?, updated_at = ?, owner_process = ?
                    WHERE id = ?
                    """,
                arguments: [
                    message.content, message.status.rawValue, Self.text(message.model), Self.text(message.error),
                    Self.text(message.transcript), message.toolCallCount, message.inputTokens, message.outputTokens,
                    message.updatedAtMs, message.ownerProcess, message.id,
                ])
        }
    }

    /// Claims a paused message to go on (credentials given): paused → running, conversation paused →
    /// running, in one transaction. False when it is not paused any more (resumed by another request,
    /// superseded, cancelled).
    public func resumeMessage(id: String, conversationID: String, ownerProcess: String, nowMs: Int64)
        throws(ConversationStoreError) -> Bool
    {
        try write("resume message") { db -> Bool in
            try db.execute(
                sql: """
                    UPDATE messages SET status = 'running', owner_process = ?, updated_at = ?
                    WHERE id = ? AND status = 'paused'
                    """,
                arguments: [ownerProcess, nowMs, id])
            guard db.changesCount == 1 else { return false }
            try db.execute(
                sql: "UPDATE conversations SET state = 'running', updated_at = ? WHERE id = ?",
                arguments: [nowMs, conversationID])
            return true
        }
    }

    /// Ends an exchange: the conversation goes to `state`, takes `title` when it has none yet, and
    /// adds the tokens.
    public func finishExchange(
        conversationID: String, state: ConversationRecord.State, title: String?, inputTokens: Int64,
        outputTokens: Int64, nowMs: Int64
    ) throws(ConversationStoreError) {
        try write("finish exchange") { db in
            try db.execute(
                sql: """
                    UPDATE conversations SET state = ?, title = COALESCE(title, ?),
                        input_tokens = input_tokens + ?, output_tokens = output_tokens + ?, updated_at = ?
                    WHERE id = ?
                    """,
                arguments: [state.rawValue, title, inputTokens, outputTokens, nowMs, conversationID])
        }
    }

    /// Marks every running message whose process is gone `interrupted` (and its running tool calls),
    /// puts its conversation back to `idle`, and appends a `message.interrupted` event to its stream.
    ///
    /// - Returns: The ids of the messages marked.
    @discardableResult
    public func recoverInterrupted(isAlive: (String) -> Bool, nowMs: Int64) throws(ConversationStoreError)
        -> [String]
    {
        let running = try read("find running messages") { db in
            try Row.fetchAll(
                db, sql: "SELECT id, conversation_id, owner_process FROM messages WHERE status = 'running'"
            ).map {
                (
                    id: $0["id"] as String, conversation: $0["conversation_id"] as String,
                    owner: $0["owner_process"] as String?
                )
            }
        }
        var marked: [String] = []
        for message in running where !(message.owner.map(isAlive) ?? false) {
            let done = try write("mark message interrupted") { db -> Bool in
                try db.execute(
                    sql:
                        "UPDATE messages SET status = 'interrupted', updated_at = ? WHERE id = ? AND status = 'running'",
                    arguments: [nowMs, message.id])
                guard db.changesCount == 1 else { return false }
                try db.execute(
                    sql: """
                        UPDATE tool_calls SET status = 'interrupted', updated_at = ?
                        WHERE message_id = ? AND status IN ('running', 'paused')
                        """,
                    arguments: [nowMs, message.id])
                try db.execute(
                    sql: "UPDATE conversations SET state = 'idle', updated_at = ? WHERE id = ?",
                    arguments: [nowMs, message.conversation])
                _ = try Self.appendEvent(
                    db, conversationID: message.conversation, messageID: message.id, type: "message.interrupted",
                    data: [
                        "messageId": .string(message.id),
                        "reason": "the server stopped before this message was answered",
                    ], atMs: nowMs)
                return true
            }
            if done { marked.append(message.id) }
        }
        return marked
    }
}
