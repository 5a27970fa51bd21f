import GRDB
import JSON

/// Tool calls, plans and credential requests.
extension ConversationStore {
    static let toolCallColumns = """
        id, conversation_id, message_id, idx, call_id, name, tool_id, arguments, run_id, status, result,
        created_at, updated_at
        """

    static func toolCall(_ row: Row) -> ToolCallRecord {
        ToolCallRecord(
            id: row["id"], conversationID: row["conversation_id"], messageID: row["message_id"], index: row["idx"],
            callID: row["call_id"], name: row["name"], toolID: row["tool_id"],
            arguments: json(row["arguments"]) ?? .null, runID: row["run_id"], status: row["status"],
            result: json(row["result"]), createdAtMs: row["created_at"], updatedAtMs: row["updated_at"])
    }

    /// Stores a tool call or replaces it (same id) with its new state.
    public func saveToolCall(_ call: ToolCallRecord) throws(ConversationStoreError) {
        try write("save tool call") { db in
            try db.execute(
                sql:
                    "INSERT OR REPLACE INTO tool_calls (\(Self.toolCallColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    call.id, call.conversationID, call.messageID, call.index, call.callID, call.name, call.toolID,
                    call.arguments.jsonText, call.runID, call.status, Self.text(call.result), call.createdAtMs,
                    call.updatedAtMs,
                ])
        }
    }

    /// The tool calls of a conversation, oldest first.
    public func toolCalls(conversationID: String) throws(ConversationStoreError) -> [ToolCallRecord] {
        try read("read tool calls") { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT \(Self.toolCallColumns) FROM tool_calls WHERE conversation_id = ? ORDER BY created_at, idx",
                arguments: [conversationID]
            ).map(Self.toolCall)
        }
    }

    /// The tool call `id`, nil when there is none.
    public func toolCall(id: String) throws(ConversationStoreError) -> ToolCallRecord? {
        try read("read tool call") { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.toolCallColumns) FROM tool_calls WHERE id = ?", arguments: [id])
                .map(Self.toolCall)
        }
    }

    /// The tool call that is run `runID`, nil when no conversation made it.
    public func toolCall(runID: String) throws(ConversationStoreError) -> ToolCallRecord? {
        try read("read tool call") { db in
            try Row.fetchOne(
                db, sql: "SELECT \(Self.toolCallColumns) FROM tool_calls WHERE run_id = ?", arguments: [runID]
            ).map(Self.toolCall)
        }
    }

    static func plan(_ row: Row) -> PlanRecord {
        PlanRecord(
            id: row["id"], conversationID: row["conversation_id"], request: row["request"], author: row["author"],
            response: json(row["response"]) ?? .null, messageID: row["message_id"], chosen: row["chosen"],
            createdAtMs: row["created_at"])
    }

    static let planColumns = "id, conversation_id, request, author, response, message_id, chosen, created_at"

    /// Stores plans proposed for a request.
    public func savePlan(_ plan: PlanRecord) throws(ConversationStoreError) {
        try write("save plan") { db in
            try db.execute(
                sql: "INSERT INTO plans (\(Self.planColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    plan.id, plan.conversationID, plan.request, plan.author, plan.response.jsonText, plan.messageID,
                    plan.chosen, plan.createdAtMs,
                ])
        }
    }

    /// The plan `id` of conversation `conversationID`, nil when there is none.
    public func plan(id: String, conversationID: String) throws(ConversationStoreError) -> PlanRecord? {
        try read("read plan") { db in
            try Row.fetchOne(
                db, sql: "SELECT \(Self.planColumns) FROM plans WHERE id = ? AND conversation_id = ?",
                arguments: [id, conversationID]
            ).map(Self.plan)
        }
    }

    /// The plans of a conversation, oldest first.
    public func plans(conversationID: String) throws(ConversationStoreError) -> [PlanRecord] {
        try read("read plans") { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.planColumns) FROM plans WHERE conversation_id = ? ORDER BY created_at, id",
                arguments: [conversationID]
            ).map(Self.plan)
        }
    }

    /// Records that `messageID` runs plan number `chosen` of plan `id`.
    public func choosePlan(id: String, messageID: String, chosen: Int) throws(ConversationStoreError) {
        try write("choose plan") { db in
            try db.execute(
                sql: "UPDATE plans SET message_id = ?, chosen = ? WHERE id = ?", arguments: [messageID, chosen, id])
        }
    }

    static let credentialColumns = """
        id, conversation_id, message_id, run_id, tool_id, missing, status, created_at, resolved_at, resolved_by
        """

    static func credentialAsk(_ row: Row) -> CredentialAsk {
        CredentialAsk(
            id: row["id"], conversationID: row["conversation_id"], messageID: row["message_id"], runID: row["run_id"],
            toolID: row["tool_id"], missing: json(row["missing"]) ?? [],
            status: CredentialAsk.Status(rawValue: row["status"]) ?? .cancelled, createdAtMs: row["created_at"],
            resolvedAtMs: row["resolved_at"], resolvedBy: row["resolved_by"])
    }

    /// Stores a credential request.
    public func saveCredentialAsk(_ ask: CredentialAsk) throws(ConversationStoreError) {
        try write("save credential request") { db in
            try db.execute(
                sql:
                    "INSERT INTO credential_requests (\(Self.credentialColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    ask.id, ask.conversationID, ask.messageID, ask.runID, ask.toolID, ask.missing.jsonText,
                    ask.status.rawValue, ask.createdAtMs, ask.resolvedAtMs, ask.resolvedBy,
                ])
        }
    }

    /// The credential requests of a conversation, oldest first.
    public func credentialAsks(conversationID: String) throws(ConversationStoreError) -> [CredentialAsk] {
        try read("read credential requests") { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT \(Self.credentialColumns) FROM credential_requests WHERE conversation_id = ? ORDER BY created_at, id",
                arguments: [conversationID]
            ).map(Self.credentialAsk)
        }
    }
}
