import AgentHost
import ConversationStorage
import Foundation
import JSON
import ModelAdapters
import RunStorage
import Service
import ToolRuntime

/// The agent loop: ask the model, run the tool calls it makes, give it their results, until it answers
/// without a call, a run pauses, the message is cancelled, or the call budget is spent.
extension ConversationService {
    /// Instructions every model gets.
    static let systemPrompt = """
        You are Omega, an agent that gets things done by running tools from a registry in a sandbox. \
        Use registry_search to find a tool for the task, then registry_execute with its toolId and an input \
        that matches its input schema. Never ask the user for secrets or API keys in the chat: when a tool \
        needs a key, the appliance asks the user for it itself. When a tool fails, say so plainly and \
        suggest the alternatives you are given. Answer briefly with the result.
        """

    /// The tools offered to the model.
    static let tools: [ChatTool] = [
        ChatTool(
            name: "registry_search",
            description:
                "Search the tool registry by what a tool does. Returns tools with id, description, input schema, and which keys they need.",
            inputSchema: [
                "type": "object",
                "properties": [
                    "query": ["type": "string", "description": "What the tool should do, in a few words"],
                    "limit": ["type": "integer", "minimum": 1, "maximum": 20],
                ],
                "required": ["query"], "additionalProperties": false,
            ]),
        ChatTool(
            name: "registry_execute",
            description: "Run a registry tool by id in the sandbox with an input that matches its input schema.",
            inputSchema: [
                "type": "object",
                "properties": [
                    "toolId": ["type": "string", "description": "The tool's id from registry_search"],
                    "input": ["type": "object", "description": "The tool's input"],
                ],
                "required": ["toolId", "input"], "additionalProperties": false,
            ]),
    ]

    /// Starts answering `exchange` in a task of this service.
    func start(_ exchange: Exchange) {
        let running = RunningMessage(conversationID: exchange.conversation.id)
        self.running.withLock { $0[exchange.message.id] = running }
        let task = Task {
            await self.answer(exchange, running: running)
            _ = self.running.withLock { $0.removeValue(forKey: exchange.message.id) }
        }
        running.task.withLock { $0 = task }
    }

    /// Drives the loop to its end and records how it ended.
    func answer(_ start: Exchange, running: RunningMessage) async {
        var exchange = start
        let conversationID = exchange.conversation.id
        let messageID = exchange.message.id
        do throws(OmegaError) {
            if let paused = exchange.state.paused, exchange.declined {
                exchange.state.paused = nil
                _ = try? service.cancel(runID: paused.runID)
                var record =
                    (try? store.toolCall(id: paused.recordID))
                    ?? ToolCallRecord(
                        id: paused.recordID, conversationID: conversationID, messageID: messageID, index: paused.index,
                        callID: paused.call.id, name: paused.call.name, toolID: paused.toolID,
                        arguments: paused.call.arguments, runID: paused.runID, status: "paused",
                        createdAtMs: Self.nowMs(), updatedAtMs: Self.nowMs())
                let declined = OmegaError(
                    .policyDenied, "the call to \(paused.toolID) was declined by \(exchange.caller.user)",
                    details: ["runId": .string(paused.runID)])
                _ = try await complete(
                    &exchange, paused.call, record: &record, result: declined.json, isError: true, runID: paused.runID,
                    status: "cancelled")
            } else if let paused = exchange.state.paused {
                exchange.state.paused = nil
                let env = exchange.resumeEnv
                exchange.resumeEnv = [:]
                let outcome = await service.resume(
                    runID: paused.runID, env: env, approvedBy: exchange.approvedBy, user: exchange.conversation.owner,
                    keepApproval: false,
                    observer: relay(conversationID, messageID, paused.recordID, paused.call, running))
                if try await conclude(
                    &exchange, paused.call, recordID: paused.recordID, index: paused.index,
                    toolID: paused.toolID, outcome: outcome, running: running)
                {
                    return
                }
            } else if !exchange.planChosen, let offline = exchange.model as? OfflineChatModel,
                case .success(let plans) = offline.plans(for: exchange.request)
            {
                try emit(conversationID, messageID, "plan", plans.json)
                // The first turn answers this same request: it uses these plans instead of planning again.
                exchange.model = offline.reusing(plans, for: exchange.request)
            }
            while true {
                if running.cancelled.load(ordering: .sequentiallyConsistent) || Task.isCancelled {
                    throw OmegaError(.cancelled, "the message was cancelled")
                }
                if !exchange.state.pending.isEmpty {
                    let call = exchange.state.pending.removeFirst()
                    if try await execute(call, in: &exchange, running: running) { return }
                    continue
                }
                if exchange.message.toolCallCount >= Self.maximumToolCalls {
                    exchange.message.content +=
                        (exchange.message.content.isEmpty ? "" : "\n")
                        + "Stopped after \(Self.maximumToolCalls) tool calls, the most one message may make."
                    break
                }
                var turn = try await ask(exchange, running: running)
                if turn.text.count > Self.maximumTurnTextCharacters {
                    turn.text = String(turn.text.prefix(Self.maximumTurnTextCharacters)) + "… [cut]"
                }
                exchange.message.inputTokens += Int64(turn.usage.inputTokens)
                exchange.message.outputTokens += Int64(turn.usage.outputTokens)
                if !turn.text.isEmpty {
                    exchange.message.content += (exchange.message.content.isEmpty ? "" : "\n") + turn.text
                }
                exchange.state.turns.append(.assistant(text: turn.text, toolCalls: turn.toolCalls))
                if turn.toolCalls.isEmpty { break }
                let budget = Self.maximumToolCalls - exchange.message.toolCallCount
                exchange.state.pending = Array(turn.toolCalls.prefix(max(0, budget)))
                save(&exchange)
            }
            finish(&exchange, status: .complete, error: nil)
        } catch {
            let status: MessageRecord.Status = error.code == .cancelled ? .cancelled : .failed
            finish(&exchange, status: status, error: error)
        }
    }

    /// Asks the model for the next turn, streaming its text as `token` events.
    func ask(_ exchange: Exchange, running: RunningMessage) async throws(OmegaError) -> ChatTurnResult {
        let conversationID = exchange.conversation.id
        let messageID = exchange.message.id
        var credential: String?
        if let name = modelConfiguration.keyVariable {
            credential =
                try? CredentialService(home: service.home).value(name, scope: .user(exchange.conversation.owner)) ?? nil
            guard credential != nil else {
                throw OmegaError(
                    .missingEnvVars, "the model needs \(name) in the vault of \(exchange.conversation.owner)",
                    details: [
                        "missingVars": [["name": .string(name), "description": "API key of the configured model"]],
                        "hint": .string(
                            "Store it with `omega-exec credentials set \(name) --scope user:\(exchange.conversation.owner)`"
                        ),
                    ])
            }
            observer?.modelKeyRead(conversationID: conversationID, owner: exchange.conversation.owner, name: name)
        }
        let request = ChatRequest(
            turns: [.system(Self.systemPrompt)] + exchange.state.turns, tools: Self.tools,
            maxTokens: modelConfiguration.maxTokens, credential: credential)
        return try await exchange.model.respond(to: request) { event in
            if case .text(let text) = event {
                _ = try? self.emit(conversationID, messageID, "token", ["text": .string(text)])
            }
        }
    }

    /// Runs one tool call. Returns true when the message paused on it (the loop ends there).
    func execute(_ call: ChatToolCall, in exchange: inout Exchange, running: RunningMessage) async throws(OmegaError)
        -> Bool
    {
        let conversationID = exchange.conversation.id
        let messageID = exchange.message.id
        exchange.message.toolCallCount += 1
        let index = exchange.message.toolCallCount
        let now = Self.nowMs()
        let toolID = call.name == "registry_execute" ? call.arguments["toolId"]?.stringValue : nil
        var record = ToolCallRecord(
            id: UUID().uuidString.lowercased(), conversationID: conversationID, messageID: messageID, index: index,
            callID: call.id, name: call.name, toolID: toolID, arguments: call.arguments, status: "running",
            createdAtMs: now, updatedAtMs: now)
        saveCall(record)
        var started: [String: JSONValue] = [
            "toolCallId": .string(record.id), "callId": .string(call.id), "name": .string(call.name),
            "index": .integer(Int64(index)), "arguments": call.arguments,
        ]
        if let toolID { started["toolId"] = .string(toolID) }
        switch call.name {
        case "registry_search":
            try emit(conversationID, messageID, "tool.started", .object(started))
            let result = search(call.arguments, owner: exchange.conversation.owner)
            return try await complete(
                &exchange, call, record: &record, result: result.value, isError: result.isError, runID: nil,
                status: result.isError ? "failed" : "completed")
        case "registry_execute":
            guard let toolID, !toolID.isEmpty else {
                try emit(conversationID, messageID, "tool.started", .object(started))
                let error = OmegaError(.invalidInput, "toolId: expected a string", details: ["field": "toolId"])
                return try await complete(
                    &exchange, call, record: &record, result: error.json, isError: true, runID: nil, status: "failed")
            }
            let input = call.arguments["input"].flatMap { $0 == .null ? nil : $0 } ?? [:]
            let reference: String
            do throws(OmegaError) {
                reference = try registry.executionReference(toolID)
            } catch {
                try emit(conversationID, messageID, "tool.started", .object(started))
                var failure = error.json
                failure = await withAlternatives(
                    failure, toolID: toolID, code: error.code, owner: exchange.conversation.owner)
                return try await complete(
                    &exchange, call, record: &record, result: failure, isError: true, runID: nil, status: "failed")
            }
            let request = ExecutionRequest(tool: reference, input: input, env: [:], user: exchange.conversation.owner)
            let startedEvent = started
            let outcome = await service.run(
                request, observer: relay(conversationID, messageID, record.id, call, running, started: startedEvent))
            return try await conclude(
                &exchange, call, recordID: record.id, index: index, toolID: toolID, outcome: outcome, running: running,
                record: record)
        default:
            try emit(conversationID, messageID, "tool.started", .object(started))
            let error = OmegaError(
                .toolNotFound,
                "unknown tool \(Self.quoted(call.name)); the tools are registry_search and registry_execute",
                details: ["field": "name"])
            return try await complete(
                &exchange, call, record: &record, result: error.json, isError: true, runID: nil, status: "failed")
        }
    }

    /// The observer of a tool call's run: `tool.started` once the run exists (with its id, which the
    /// message's cancel reaches), then each `tool.output`.
    func relay(
        _ conversationID: String, _ messageID: String, _ recordID: String, _ call: ChatToolCall,
        _ running: RunningMessage, started: [String: JSONValue]? = nil
    ) -> OmegaService.EventObserver {
        { event in
            switch event.type {
            case .runCreated:
                running.runID.withLock { $0 = event.runID }
                if running.cancelled.load(ordering: .sequentiallyConsistent) {
                    _ = try? self.service.cancel(runID: event.runID)
                }
                if var started {
                    started["runId"] = .string(event.runID)
                    _ = try? self.emit(conversationID, messageID, "tool.started", .object(started))
                    if var record = (try? self.store.toolCall(id: recordID)) ?? nil {
                        record.runID = event.runID
                        record.updatedAtMs = Self.nowMs()
                        self.saveCall(record)
                    }
                }
            case .runResumed:
                running.runID.withLock { $0 = event.runID }
            case .toolOutput:
                _ = try? self.emit(
                    conversationID, messageID, "tool.output",
                    ["toolCallId": .string(recordID), "runId": .string(event.runID), "data": event.data])
            default:
                break
            }
        }
    }

    /// Handles a run's outcome: a pause pauses the message (true); anything else completes the call.
    func conclude(
        _ exchange: inout Exchange, _ call: ChatToolCall, recordID: String, index: Int, toolID: String,
        outcome: ExecutionOutcome, running: RunningMessage, record: ToolCallRecord? = nil
    ) async throws(OmegaError) -> Bool {
        running.runID.withLock { $0 = nil }
        let conversationID = exchange.conversation.id
        let messageID = exchange.message.id
        var stored =
            record
            ?? (try? store.toolCall(id: recordID))
            ?? ToolCallRecord(
                id: recordID, conversationID: conversationID, messageID: messageID, index: index, callID: call.id,
                name: call.name, toolID: toolID, arguments: call.arguments, status: "running",
                createdAtMs: Self.nowMs(), updatedAtMs: Self.nowMs())
        stored.runID = outcome.runID.isEmpty ? stored.runID : outcome.runID
        if outcome.status == .paused, let error = outcome.error, error.isPause {
            let kind = error.code == .missingEnvVars ? "credentials" : "approval"
            exchange.state.paused = ExchangeState.PausedCall(
                call: call, recordID: recordID, index: index, runID: outcome.runID, toolID: toolID, kind: kind)
            stored.status = "paused"
            stored.result = error.json
            stored.updatedAtMs = Self.nowMs()
            saveCall(stored)
            observer?.toolCallEnded(
                conversationID: conversationID, caller: exchange.caller.user, owner: exchange.conversation.owner,
                fields: Self.auditFields(stored, status: "paused"))
            var pause: [String: JSONValue] = [
                "messageId": .string(messageID), "kind": .string(kind), "toolCallId": .string(recordID),
                "runId": .string(outcome.runID), "toolId": .string(toolID), "error": error.json,
            ]
            if error.code == .missingEnvVars {
                let ask = CredentialAsk(
                    id: UUID().uuidString.lowercased(), conversationID: conversationID, messageID: messageID,
                    runID: outcome.runID, toolID: toolID, missing: error.details["missingVars"] ?? [],
                    createdAtMs: Self.nowMs())
                do {
                    try store.saveCredentialAsk(ask)
                } catch {
                    throw Self.storeFailure(error)
                }
                pause["credentialRequestId"] = .string(ask.id)
                pause["missingVars"] = ask.missing
                pause["provideWith"] = .string(
                    "POST /api/omega/conversations/\(conversationID)/credentials {\"credentialRequestId\": \"\(ask.id)\", \"values\": {…}}"
                )
            } else {
                pause["provideWith"] = .string(
                    "POST /api/omega/conversations/\(conversationID)/approvals {\"runId\": \"\(outcome.runID)\", \"decision\": \"approve\"}"
                )
            }
            exchange.message.status = .paused
            exchange.message.updatedAtMs = Self.nowMs()
            save(&exchange)
            do {
                try store.finishExchange(
                    conversationID: conversationID, state: .paused, title: nil, inputTokens: 0, outputTokens: 0,
                    nowMs: exchange.message.updatedAtMs)
            } catch {
                throw Self.storeFailure(error)
            }
            try emit(conversationID, messageID, "pause", .object(pause))
            try emit(
                conversationID, messageID, "message.paused", ["messageId": .string(messageID), "kind": .string(kind)])
            return true
        }
        var result = outcome.json
        if !outcome.succeeded, let code = outcome.error?.code, ToolFailure.offersAlternatives(code) {
            result = await withAlternatives(
                result, toolID: outcome.toolID.isEmpty ? toolID : outcome.toolID, code: code,
                owner: exchange.conversation.owner)
        }
        return try await complete(
            &exchange, call, record: &stored, result: result, isError: !outcome.succeeded, runID: outcome.runID,
            status: outcome.status.rawValue)
    }

    /// Records a call's end, emits `tool.finished`, and gives the model its result. Always false (no pause).
    func complete(
        _ exchange: inout Exchange, _ call: ChatToolCall, record: inout ToolCallRecord, result: JSONValue,
        isError: Bool, runID: String?, status: String
    ) async throws(OmegaError) -> Bool {
        record.status = status
        record.result = result
        if let runID, !runID.isEmpty { record.runID = runID }
        record.updatedAtMs = Self.nowMs()
        saveCall(record)
        observer?.toolCallEnded(
            conversationID: exchange.conversation.id, caller: exchange.caller.user, owner: exchange.conversation.owner,
            fields: Self.auditFields(record, status: status))
        var finished: [String: JSONValue] = [
            "toolCallId": .string(record.id), "callId": .string(call.id), "name": .string(call.name),
            "status": .string(status), "isError": .bool(isError),
        ]
        if let toolID = record.toolID { finished["toolId"] = .string(toolID) }
        if let runID = record.runID { finished["runId"] = .string(runID) }
        if isError {
            finished["error"] = Self.excerpt(result)
            if let alternatives = result["alternatives"] { finished["alternatives"] = alternatives }
        } else {
            finished["output"] = Self.excerpt(result["output"] ?? result)
        }
        try emit(exchange.conversation.id, exchange.message.id, "tool.finished", .object(finished))
        exchange.state.turns.append(
            .toolResult(callID: call.id, name: call.name, content: Self.modelText(result), isError: isError))
        save(&exchange)
        return false
    }

    /// Most bytes of a tool's output or error an event carries; larger ones are an excerpt, and the whole
    /// is on the run and the call's record.
    static let maximumEventResultBytes = 16_384

    /// `value` itself when its JSON is at most ``maximumEventResultBytes``, else
    /// `{"truncated": true, "bytes": N, "excerpt": "<the first 4 KiB of its JSON>"}`.
    static func excerpt(_ value: JSONValue) -> JSONValue {
        let text = value.jsonText
        let bytes = text.utf8.count
        guard bytes > maximumEventResultBytes else { return value }
        return [
            "truncated": true, "bytes": .integer(Int64(bytes)),
            "excerpt": .string(String(decoding: text.utf8.prefix(4096), as: UTF8.self)),
        ]
    }

    /// Most characters of text one model turn adds to a message (the rest is dropped, saying so).
    static let maximumTurnTextCharacters = 65_536

    /// Most bytes of one tool result shown to the model (the whole result stays on the call's record).
    static let maximumResultBytes = 16_384

    /// `result` as the model sees it: its JSON text, cut at ``maximumResultBytes`` with a note saying so.
    static func modelText(_ result: JSONValue) -> String {
        let text = result.jsonText
        let bytes = text.utf8.count
        guard bytes > maximumResultBytes else { return text }
        let cut = String(decoding: text.utf8.prefix(maximumResultBytes), as: UTF8.self)
        return cut + "… [cut: \(bytes) bytes in all; the whole result is on the tool call's record]"
    }

    /// A failure object with `alternatives` beside its details (flow D).
    func withAlternatives(_ failure: JSONValue, toolID: String, code: OmegaError.Code, owner: String) async -> JSONValue
    {
        guard case .object(var members) = failure else { return failure }
        do {
            let found = try await planner.alternatives(
                for: ToolFailure(toolId: toolID, code: code), user: owner, limit: OfflinePlanner.maximumAlternatives)
            members["alternatives"] = .array(found.map(\.json))
        } catch {
            members["alternatives"] = []
        }
        return .object(members)
    }

    /// `registry_search` for the model: `{"results": [...]}` or an error object.
    func search(_ arguments: JSONValue, owner: String) -> (value: JSONValue, isError: Bool) {
        guard let query = arguments["query"]?.stringValue else {
            return (OmegaError(.invalidInput, "query: expected a string", details: ["field": "query"]).json, true)
        }
        var limit = 10
        if case .integer(let given)? = arguments["limit"] { limit = Int(max(1, min(given, 20))) }
        do throws(OmegaError) {
            let results = try registry.search(ToolSearchRequest(query: query, limit: limit, user: owner))
            return (["results": .array(results.map(\.json))], false)
        } catch {
            return (error.json, true)
        }
    }

    /// Closes a paused call that will not resume (the message was cancelled).
    func finishCall(
        _ paused: ExchangeState.PausedCall, conversationID: String, messageID: String, status: String,
        result: JSONValue?
    ) {
        guard
            var record = try? store.toolCall(id: paused.recordID)
        else { return }
        record.status = status
        if let result { record.result = result }
        record.updatedAtMs = Self.nowMs()
        saveCall(record)
    }

    /// The audit fields of a call: names and ids, never input values.
    static func auditFields(_ record: ToolCallRecord, status: String) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [
            "toolCallId": .string(record.id), "name": .string(record.name), "status": .string(status),
            "messageId": .string(record.messageID),
        ]
        if let toolID = record.toolID { fields["toolId"] = .string(toolID) }
        if let runID = record.runID { fields["runId"] = .string(runID) }
        return fields
    }

    func saveCall(_ record: ToolCallRecord) {
        do {
            try store.saveToolCall(record)
        } catch {
            logger.error(
                "cannot save a tool call", metadata: ["toolCall": "\(record.id)", "error": "\(error.message)"])
        }
    }

    /// Saves the message's progress and the loop's state.
    func save(_ exchange: inout Exchange) {
        exchange.message.transcript = exchange.state.json
        exchange.message.updatedAtMs = Self.nowMs()
        do {
            try store.updateMessage(exchange.message)
        } catch {
            logger.error(
                "cannot save a message", metadata: ["message": "\(exchange.message.id)", "error": "\(error.message)"])
        }
    }

    /// Ends the message: its status, the conversation idle (with its title after the first answer), and
    /// the terminal event.
    func finish(_ exchange: inout Exchange, status: MessageRecord.Status, error: OmegaError?) {
        let conversationID = exchange.conversation.id
        let messageID = exchange.message.id
        exchange.message.status = status
        exchange.message.error = error?.json
        exchange.message.ownerProcess = nil
        if status == .cancelled, let paused = exchange.state.paused {
            finishCall(paused, conversationID: conversationID, messageID: messageID, status: "cancelled", result: nil)
        }
        if status == .cancelled {
            // A call cut short by the cancel: its run was cancelled with it.
            if let calls = try? store.toolCalls(conversationID: conversationID) {
                for var call in calls where call.messageID == messageID && call.status == "running" {
                    call.status = "cancelled"
                    call.updatedAtMs = Self.nowMs()
                    saveCall(call)
                }
            }
        }
        save(&exchange)
        let title = exchange.isFirst && exchange.conversation.title == nil ? Self.title(from: exchange.request) : nil
        do {
            try store.finishExchange(
                conversationID: conversationID, state: .idle, title: title, inputTokens: exchange.message.inputTokens,
                outputTokens: exchange.message.outputTokens, nowMs: Self.nowMs())
        } catch {
            logger.error(
                "cannot finish an exchange", metadata: ["message": "\(messageID)", "error": "\(error.message)"])
        }
        let message = ConversationDetail.json(exchange.message, sequence: exchange.message.sequence)
        switch status {
        case .complete:
            var data: [String: JSONValue] = ["message": message]
            if let title { data["title"] = .string(title) }
            _ = try? emit(conversationID, messageID, "message.completed", .object(data))
        case .cancelled:
            _ = try? emit(conversationID, messageID, "message.cancelled", ["messageId": .string(messageID)])
        default:
            _ = try? emit(
                conversationID, messageID, "message.failed",
                ["messageId": .string(messageID), "error": error?.json ?? .null])
        }
    }
}
