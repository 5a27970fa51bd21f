import JSON
import ModelAdapters

/// The agent loop's working state for one assistant message, saved on the message after every step
/// (``ConversationStorage/MessageRecord/transcript``) so that a paused message resumes where it stopped,
/// in this process or another.
struct ExchangeState: Sendable, Equatable {
    /// The turns shown to the model so far (without the system instructions, which are rebuilt).
    var turns: [ChatTurn]
    /// Tool calls the model made that have not run yet, in order.
    var pending: [ChatToolCall]
    /// The call waiting on a paused run, when the message is paused.
    var paused: PausedCall?

    /// A tool call whose run paused.
    struct PausedCall: Sendable, Equatable {
        var call: ChatToolCall
        var recordID: String
        var index: Int
        var runID: String
        var toolID: String
        /// `credentials` or `approval`.
        var kind: String
    }

    var json: JSONValue {
        var members: [String: JSONValue] = [
            "turns": .array(turns.map(Self.json)), "pending": .array(pending.map(Self.json)),
        ]
        if let paused {
            members["paused"] = [
                "call": Self.json(paused.call), "recordId": .string(paused.recordID),
                "index": .integer(Int64(paused.index)), "runId": .string(paused.runID),
                "toolId": .string(paused.toolID), "kind": .string(paused.kind),
            ]
        }
        return .object(members)
    }

    init(turns: [ChatTurn], pending: [ChatToolCall] = [], paused: PausedCall? = nil) {
        self.turns = turns
        self.pending = pending
        self.paused = paused
    }

    /// The state saved as `json`; nil when it is not one (a message saved by an incompatible version).
    init?(json: JSONValue) {
        guard let turns = json["turns"]?.arrayValue, let pending = json["pending"]?.arrayValue else { return nil }
        var decodedTurns: [ChatTurn] = []
        for turn in turns {
            guard let decoded = Self.turn(turn) else { return nil }
            decodedTurns.append(decoded)
        }
        var decodedPending: [ChatToolCall] = []
        for call in pending {
            guard let decoded = Self.call(call) else { return nil }
            decodedPending.append(decoded)
        }
        self.turns = decodedTurns
        self.pending = decodedPending
        if let paused = json["paused"] {
            guard let call = paused["call"].flatMap(Self.call), let recordID = paused["recordId"]?.stringValue,
                case .integer(let index)? = paused["index"], let runID = paused["runId"]?.stringValue,
                let toolID = paused["toolId"]?.stringValue, let kind = paused["kind"]?.stringValue
            else { return nil }
            self.paused = PausedCall(
                call: call, recordID: recordID, index: Int(index), runID: runID, toolID: toolID, kind: kind)
        }
    }

    static func json(_ call: ChatToolCall) -> JSONValue {
        ["id": .string(call.id), "name": .string(call.name), "arguments": call.arguments]
    }

    static func call(_ json: JSONValue) -> ChatToolCall? {
        guard let id = json["id"]?.stringValue, let name = json["name"]?.stringValue else { return nil }
        return ChatToolCall(id: id, name: name, arguments: json["arguments"] ?? [:])
    }

    static func json(_ turn: ChatTurn) -> JSONValue {
        switch turn {
        case .system(let text): return ["role": "system", "text": .string(text)]
        case .user(let text): return ["role": "user", "text": .string(text)]
        case .assistant(let text, let calls):
            return ["role": "assistant", "text": .string(text), "toolCalls": .array(calls.map(json))]
        case .toolResult(let callID, let name, let content, let isError):
            return [
                "role": "tool", "callId": .string(callID), "name": .string(name), "content": .string(content),
                "isError": .bool(isError),
            ]
        }
    }

    static func turn(_ json: JSONValue) -> ChatTurn? {
        switch json["role"]?.stringValue {
        case "system": return json["text"]?.stringValue.map(ChatTurn.system)
        case "user": return json["text"]?.stringValue.map(ChatTurn.user)
        case "assistant":
            guard let text = json["text"]?.stringValue, let calls = json["toolCalls"]?.arrayValue else { return nil }
            let decoded = calls.compactMap(call)
            guard decoded.count == calls.count else { return nil }
            return .assistant(text: text, toolCalls: decoded)
        case "tool":
            guard let callID = json["callId"]?.stringValue, let name = json["name"]?.stringValue,
                let content = json["content"]?.stringValue, let isError = json["isError"]?.boolValue
            else { return nil }
            return .toolResult(callID: callID, name: name, content: content, isError: isError)
        default: return nil
        }
    }
}
