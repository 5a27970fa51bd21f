import ConversationStorage
import JSON

/// A whole conversation as `GET /api/omega/conversations/{id}` and the JSON export give it: the
/// conversation, its messages in order (each assistant message with its tool calls), its plans and its
/// credential requests. Times are milliseconds since the Unix epoch, as on runs. The loop's internal
/// state (transcripts) is never rendered.
public struct ConversationDetail: Sendable {
    public var conversation: ConversationRecord
    public var messages: [MessageRecord]
    public var toolCalls: [ToolCallRecord]
    public var plans: [PlanRecord]
    public var credentialRequests: [CredentialAsk]
    /// The number of the conversation's last event when the history was read: follow its stream with
    /// `Last-Event-ID` set to it to miss nothing the history does not show.
    public var lastEventID: Int64 = 0

    public var json: JSONValue {
        guard case .object(var members) = Self.json(conversation) else { return .null }
        var calls: [String: [JSONValue]] = [:]
        for call in toolCalls { calls[call.messageID, default: []].append(Self.json(call)) }
        members["messages"] = .array(
            messages.map { message in
                guard case .object(var object) = Self.json(message, sequence: message.sequence) else { return .null }
                if message.role == .assistant { object["toolCalls"] = .array(calls[message.id] ?? []) }
                return .object(object)
            })
        members["plans"] = .array(plans.map(Self.json))
        members["credentialRequests"] = .array(credentialRequests.map(Self.json))
        members["lastEventId"] = .integer(lastEventID)
        return .object(members)
    }

    public static func json(_ conversation: ConversationRecord) -> JSONValue {
        [
            "id": .string(conversation.id), "title": conversation.title.map(JSONValue.string) ?? .null,
            "owner": .string(conversation.owner), "state": .string(conversation.state.rawValue),
            "createdAt": .integer(conversation.createdAtMs), "updatedAt": .integer(conversation.updatedAtMs),
            "messageCount": .integer(Int64(conversation.messageCount)),
            "inputTokens": .integer(conversation.inputTokens), "outputTokens": .integer(conversation.outputTokens),
        ]
    }

    public static func json(_ message: MessageRecord, sequence: Int64) -> JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(message.id), "role": .string(message.role.rawValue), "author": .string(message.author),
            "content": .string(message.content), "status": .string(message.status.rawValue),
            "sequence": .integer(sequence), "createdAt": .integer(message.createdAtMs),
            "updatedAt": .integer(message.updatedAtMs),
        ]
        if let replyTo = message.replyTo { members["replyTo"] = .string(replyTo) }
        if let model = message.model { members["model"] = model }
        if let error = message.error { members["error"] = error }
        if message.role == .assistant {
            members["toolCallCount"] = .integer(Int64(message.toolCallCount))
            members["inputTokens"] = .integer(message.inputTokens)
            members["outputTokens"] = .integer(message.outputTokens)
        }
        return .object(members)
    }

    public static func json(_ call: ToolCallRecord) -> JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(call.id), "messageId": .string(call.messageID), "index": .integer(Int64(call.index)),
            "callId": .string(call.callID), "name": .string(call.name), "arguments": call.arguments,
            "status": .string(call.status), "createdAt": .integer(call.createdAtMs),
            "updatedAt": .integer(call.updatedAtMs),
        ]
        if let toolID = call.toolID { members["toolId"] = .string(toolID) }
        if let runID = call.runID { members["runId"] = .string(runID) }
        if let result = call.result { members["result"] = result }
        return .object(members)
    }

    public static func json(_ plan: PlanRecord) -> JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(plan.id), "request": .string(plan.request), "author": .string(plan.author),
            "createdAt": .integer(plan.createdAtMs),
            "plans": plan.response["plans"] ?? [], "model": plan.response["model"] ?? .null,
        ]
        if let messageID = plan.messageID { members["messageId"] = .string(messageID) }
        if let chosen = plan.chosen { members["chosen"] = .integer(Int64(chosen)) }
        return .object(members)
    }

    public static func json(_ ask: CredentialAsk) -> JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(ask.id), "messageId": .string(ask.messageID), "runId": .string(ask.runID),
            "toolId": .string(ask.toolID), "missingVars": ask.missing, "status": .string(ask.status.rawValue),
            "createdAt": .integer(ask.createdAtMs),
        ]
        if let at = ask.resolvedAtMs { members["resolvedAt"] = .integer(at) }
        if let by = ask.resolvedBy { members["resolvedBy"] = .string(by) }
        return .object(members)
    }

    /// The conversation as Markdown: a heading with the title, then each message under its author,
    /// with each tool call's tool, status, arguments and result in fenced JSON blocks.
    public var markdown: String {
        var text = "# \(Self.inline(conversation.title ?? "Conversation \(conversation.id)"))\n\n"
        text += "- Conversation: `\(conversation.id)`\n- Owner: \(Self.inline(conversation.owner))\n"
        text += "- Messages: \(messages.count)\n\n"
        var calls: [String: [ToolCallRecord]] = [:]
        for call in toolCalls { calls[call.messageID, default: []].append(call) }
        for message in messages {
            let who = message.role == .user ? "User (\(Self.inline(message.author)))" : "Assistant"
            text += "## \(who)\n\n"
            if message.role == .assistant, message.status != .complete {
                text += "_Status: \(message.status.rawValue)_\n\n"
            }
            // The words are quoted as text: a message cannot forge headings, links or HTML in the export.
            if !message.content.isEmpty { text += Self.fenced(message.content, language: "text") }
            for call in calls[message.id] ?? [] {
                text += "### Tool call \(call.index): \(Self.inline(call.toolID ?? call.name)) (\(call.status))\n\n"
                if let runID = call.runID { text += "Run `\(runID)`\n\n" }
                text += Self.fenced(call.arguments.prettyText)
                if let result = call.result { text += "Result:\n\n" + Self.fenced(result.prettyText) }
            }
        }
        return text
    }

    /// `code` in a fenced JSON block whose fence is longer than any run of backticks in it.
    static func fenced(_ code: String, language: String = "json") -> String {
        var longest = 0
        var run = 0
        for character in code {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return "\(fence)\(language)\n\(code)\n\(fence)\n\n"
    }

    /// `text` on one line with Markdown's active characters escaped.
    static func inline(_ text: String) -> String {
        var out = ""
        for character in text {
            if character.isNewline { out.append(" "); continue }
            if "\\`*_[]<>#|".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
