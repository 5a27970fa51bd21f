import AgentHost
import ConversationStorage
import Foundation
import JSON
import ModelAdapters
import Service
import ToolRuntime

/// Posting messages, providing credentials, cancelling, and the event stream.
extension ConversationService {
    /// A message just started (or resumed): its records and where its events begin in the stream.
    public struct MessageStart: Sendable {
        /// The user's message (nil when credentials resumed a message).
        public var userMessage: MessageRecord?
        /// The assistant's message being answered.
        public var assistantMessage: MessageRecord
        /// The stream's last event before this message's first.
        public var afterSequence: Int64
    }

    /// Posts a message and starts answering it in the background; its steps are appended to the
    /// conversation's stream (read them with ``events(conversationID:after:messageID:)``).
    ///
    /// - Parameters:
    ///   - content: What the user says (1…16,384 bytes); optional when `planID` is given (the plan's
    ///     request is used).
    ///   - planID: A plan from ``plan(conversationID:caller:content:maxPlans:)`` of this conversation
    ///     whose plan number `choice` runs as proposed (flow C).
    ///   - input: Members that complete or correct the input of the chosen plan's first tool (the
    ///     `missingInputs` a plan lists), merged over what the planner filled; only with `planId`.
    /// - Throws: `NOT_FOUND` (conversation, plan); `INVALID_INPUT` naming `content`, `planId` or `choice`;
    ///   `INVALID_STATE` when a message is running (HTTP 409); `INTERNAL_ERROR`.
    public func send(
        conversationID: String, caller: ConversationCaller, content: String?, planID: String? = nil,
        choice: Int? = nil, input: [String: JSONValue]? = nil
    ) throws(OmegaError) -> MessageStart {
        let conversation = try conversation(id: conversationID)
        var text = content
        var chosen: (plan: PlanRecord, steps: [JSONValue], number: Int)?
        if let planID {
            guard Self.isUUID(planID) else {
                throw OmegaError(.notFound, "no plan \(Self.quoted(planID))", details: ["field": "planId"])
            }
            let found: PlanRecord?
            do {
                found = try store.plan(id: planID, conversationID: conversationID)
            } catch {
                throw Self.storeFailure(error)
            }
            guard let plan = found else {
                throw OmegaError(.notFound, "no plan \(planID) in this conversation", details: ["field": "planId"])
            }
            let plans = plan.response["plans"]?.arrayValue ?? []
            let number = choice ?? 1
            guard (1...max(1, plans.count)).contains(number), number <= plans.count else {
                throw OmegaError(
                    .invalidInput, "choice: expected a plan number from 1 to \(plans.count)",
                    details: ["field": "choice"])
            }
            chosen = (plan, plans[number - 1]["plan"]?.arrayValue ?? [], number)
            if text == nil { text = plan.request }
        } else if choice != nil || input != nil {
            throw OmegaError(
                .invalidInput, "\(choice != nil ? "choice" : "input"): needs planId",
                details: ["field": .string(choice != nil ? "choice" : "input")])
        }
        guard let text else {
            throw OmegaError(.invalidInput, "content: expected a string", details: ["field": "content"])
        }
        try Self.checkContent(text, field: "content")
        let now = Self.nowMs()
        let user = MessageRecord(
            id: UUID().uuidString.lowercased(), conversationID: conversationID, role: .user, author: caller.user,
            keyID: caller.keyID, content: text, status: .complete, createdAtMs: now, updatedAtMs: now)
        let model = makeModel(conversation.owner)
        var assistant = MessageRecord(
            id: UUID().uuidString.lowercased(), conversationID: conversationID, role: .assistant,
            author: conversation.owner, content: "", status: .running, replyTo: user.id, model: model.identity.json,
            createdAtMs: now, updatedAtMs: now, ownerProcess: ProcessIdentity.current)
        let begun: ConversationStore.Begin
        do {
            begun = try store.beginMessage((user, assistant))
        } catch {
            throw Self.storeFailure(error)
        }
        let superseded: [MessageRecord]
        switch begun {
        case .full:
            throw OmegaError(
                .invalidState,
                "this conversation holds \(ConversationStore.maximumMessages) messages, the most it may; start a new one"
            )
        case .notFound:
            throw OmegaError(.notFound, "no conversation \(conversationID)", details: ["field": "id"])
        case .busy(let running):
            throw OmegaError(
                .invalidState,
                "message \(running) of this conversation is still running; wait for it or cancel it",
                details: ["runningMessageId": .string(running)])
        case .started(let storedUser, let storedAssistant, let asks):
            assistant = storedAssistant
            superseded = asks
            _ = storedUser
        }
        for closed in superseded {
            // A paused message closed by this one: its run is cancelled and its call recorded so.
            guard let paused = closed.transcript.flatMap(ExchangeState.init(json:))?.paused else { continue }
            _ = try? service.cancel(runID: paused.runID)
            finishCall(paused, conversationID: conversationID, messageID: closed.id, status: "cancelled", result: nil)
        }
        let history = try historyTurns(conversationID: conversationID, before: assistant.sequence - 1)
        let created = try emit(
            conversationID, assistant.id, "message.created",
            [
                "userMessage": ConversationDetail.json(user, sequence: assistant.sequence - 1),
                "assistantMessageId": .string(assistant.id), "model": model.identity.json,
            ])
        var state = ExchangeState(turns: history + [.user(text)])
        if let chosen {
            do {
                try store.choosePlan(id: chosen.plan.id, messageID: assistant.id, chosen: chosen.number)
            } catch {
                throw Self.storeFailure(error)
            }
            state.pending = Self.calls(fromPlanSteps: chosen.steps, input: input ?? [:])
            state.turns.append(.assistant(text: "", toolCalls: state.pending))
        }
        let started = MessageStart(userMessage: user, assistantMessage: assistant, afterSequence: created.sequence - 1)
        start(
            Exchange(
                conversation: conversation, message: assistant, state: state, caller: caller, model: model,
                isFirst: assistant.sequence == 2, request: text, planChosen: chosen != nil))
        return started
    }

    /// The tool calls of a chosen plan: its `registry_execute` steps with their tool and input, and its
    /// `registry_search` steps with their query.
    static func calls(fromPlanSteps steps: [JSONValue], input extra: [String: JSONValue] = [:]) -> [ChatToolCall] {
        var calls: [ChatToolCall] = []
        var extra = extra
        for step in steps {
            var number = Int64(calls.count + 1)
            if case .integer(let given)? = step["stepNumber"] { number = given }
            switch step["toolName"]?.stringValue {
            case "registry_execute":
                guard let toolID = step["toolId"]?.stringValue else { continue }
                var input = step["input"]?.objectValue ?? [:]
                input.merge(extra) { _, given in given }
                extra = [:]
                calls.append(
                    ChatToolCall(
                        id: "plan_step_\(number)", name: "registry_execute",
                        arguments: ["toolId": .string(toolID), "input": .object(input)]))
            case "registry_search":
                let query = step["query"]?.stringValue ?? step["purpose"]?.stringValue ?? ""
                calls.append(
                    ChatToolCall(
                        id: "plan_step_\(number)", name: "registry_search", arguments: ["query": .string(query)]))
            default: continue
            }
        }
        return calls
    }

    /// The earlier exchanges as the model sees them: each user message and the assistant's final text.
    func historyTurns(conversationID: String, before sequence: Int64) throws(OmegaError) -> [ChatTurn] {
        // The last 40 messages: a long conversation must not outgrow the model's context.
        let texts: [(role: MessageRecord.Role, content: String)]
        do {
            texts = try store.exchangeTexts(conversationID: conversationID, before: sequence, limit: 40)
        } catch {
            throw Self.storeFailure(error)
        }
        return texts.compactMap { text in
            switch text.role {
            case .user: return .user(text.content)
            case .assistant: return text.content.isEmpty ? nil : .assistant(text: text.content, toolCalls: [])
            }
        }
    }

    // MARK: Credentials

    /// Stores credentials a paused message asked for in the **owner's** vault and resumes the message
    /// from the step that paused (flow B).
    ///
    /// - Parameters:
    ///   - requestID: The credential request (nil: the conversation's one pending request).
    ///   - values: Exactly the names asked for, each a non-empty value.
    ///   - save: False: the values are given to the paused run only (as its `env`, held in memory until
    ///     it resumes) and never stored; a later call that needs them asks again.
    /// - Throws: `NOT_FOUND`; `POLICY_DENIED` when `caller` is not the owner (another user's key may
    ///   post messages, never store the owner's credentials); `INVALID_STATE` when nothing waits for
    ///   credentials; `INVALID_INPUT` naming the variable (not asked, missing, unacceptable value).
    public func provideCredentials(
        conversationID: String, caller: ConversationCaller, requestID: String?, values: [String: String],
        save: Bool = true
    ) throws(OmegaError) -> MessageStart {
        let conversation = try conversation(id: conversationID)
        guard caller.user == conversation.owner else {
            throw OmegaError(
                .policyDenied,
                "only the conversation's owner stores its credentials (tools run with the owner's credentials)",
                details: ["field": "values"])
        }
        let asks: [CredentialAsk]
        do {
            asks = try store.credentialAsks(conversationID: conversationID).filter { $0.status == .pending }
        } catch {
            throw Self.storeFailure(error)
        }
        let ask: CredentialAsk
        if let requestID {
            guard let found = asks.first(where: { $0.id == requestID }) else {
                throw OmegaError(
                    .invalidState, "no pending credential request \(Self.quoted(requestID)) in this conversation",
                    details: ["field": "credentialRequestId"])
            }
            ask = found
        } else {
            guard let only = asks.last else {
                throw OmegaError(.invalidState, "this conversation is not waiting for credentials")
            }
            ask = only
        }
        let asked = ask.names
        if let unknown = values.keys.sorted().first(where: { !asked.contains($0) }) {
            throw OmegaError(
                .invalidInput,
                "values.\(Self.quoted(unknown)) was not asked for (asked: \(asked.joined(separator: ", ")))",
                details: ["field": .string("values." + String(unknown.prefix(64)))])
        }
        for name in asked {
            guard let value = values[name], !value.isEmpty else {
                throw OmegaError(
                    .invalidInput, "values.\(name): expected a non-empty string",
                    details: ["field": .string("values." + name)])
            }
            if let problem = EnvValue.problem(with: value, secret: true) {
                throw OmegaError(
                    .invalidInput, "values.\(name) \(problem)", details: ["field": .string("values." + name)])
            }
        }
        // Claim first (one transaction): of concurrent posts exactly one goes on, and only its values are
        // stored; the others store nothing.
        let now = Self.nowMs()
        let claimed: Bool
        do {
            claimed = try store.claimCredentials(
                askID: ask.id, messageID: ask.messageID, conversationID: conversationID, user: caller.user,
                ownerProcess: ProcessIdentity.current, nowMs: now)
        } catch {
            throw Self.storeFailure(error)
        }
        guard claimed, let message = try? store.message(id: ask.messageID),
            let saved = message.transcript.flatMap(ExchangeState.init(json:))
        else {
            throw OmegaError(
                .invalidState, "the message waiting for these credentials was resumed or cancelled already")
        }
        let credentials = CredentialService(home: service.home)
        do throws(OmegaError) {
            for name in asked where save {
                try credentials.set(name, value: values[name]!, scope: .user(conversation.owner))
            }
        } catch {
            var failed = Exchange(
                conversation: conversation, message: message, state: saved, caller: caller,
                model: makeModel(conversation.owner), isFirst: false, request: message.content, planChosen: false)
            finish(&failed, status: .failed, error: error)
            throw error
        }
        observer?.credentialsStored(
            conversationID: conversationID, caller: caller.user, owner: conversation.owner, names: asked, saved: save)
        let resumed = try emit(
            conversationID, message.id, "message.resumed",
            [
                "messageId": .string(message.id), "credentialRequestId": .string(ask.id),
                "names": .array(asked.map(JSONValue.string)), "saved": .bool(save),
            ])
        var exchange = Exchange(
            conversation: conversation, message: message, state: saved, caller: caller,
            model: makeModel(conversation.owner), isFirst: message.sequence == 2,
            request: requestText(of: message), planChosen: false)
        if !save { exchange.resumeEnv = asked.reduce(into: [:]) { $0[$1] = values[$1] } }
        start(exchange)
        return MessageStart(userMessage: nil, assistantMessage: message, afterSequence: resumed.sequence - 1)
    }

    // MARK: Cancel

    /// Cancels a message: a running one stops (its tool's jail is killed, its run recorded cancelled);
    /// a paused one is closed and its run cancelled.
    ///
    /// - Parameter messageID: The message (nil: the conversation's running or paused one).
    /// - Returns: The message's id.
    /// - Throws: `NOT_FOUND`; `INVALID_STATE` when no message runs or waits, or it runs in another process.
    @discardableResult
    public func cancel(conversationID: String, messageID: String? = nil, caller: ConversationCaller)
        throws(OmegaError) -> String
    {
        _ = try conversation(id: conversationID)
        let messages: [MessageRecord]
        do {
            messages = try store.messages(conversationID: conversationID)
        } catch {
            throw Self.storeFailure(error)
        }
        let target = messages.last { message in
            message.role == .assistant && !message.status.isFinal && (messageID == nil || message.id == messageID)
        }
        guard let target else {
            if let messageID, !messages.contains(where: { $0.id == messageID }) {
                throw OmegaError(
                    .notFound, "no message \(Self.quoted(messageID)) in this conversation",
                    details: ["field": "messageId"])
            }
            throw OmegaError(.invalidState, "no message of this conversation is running or waiting")
        }
        if let running = running.withLock({ $0[target.id] }) {
            running.cancelled.store(true, ordering: .sequentiallyConsistent)
            if let runID = running.runID.withLock({ $0 }) { _ = try? service.cancel(runID: runID) }
            running.task.withLock { $0 }?.cancel()
            return target.id
        }
        guard target.status == .paused else {
            throw OmegaError(.invalidState, "message \(target.id) runs in another process; cancel it there")
        }
        let now = Self.nowMs()
        let closed: Bool
        do {
            closed = try store.cancelPaused(messageID: target.id, conversationID: conversationID, nowMs: now)
        } catch {
            throw Self.storeFailure(error)
        }
        guard closed else {
            throw OmegaError(.invalidState, "message \(target.id) was resumed meanwhile; cancel it again to stop it")
        }
        if let saved = target.transcript.flatMap(ExchangeState.init(json:)), let paused = saved.paused {
            _ = try? service.cancel(runID: paused.runID)
            finishCall(paused, conversationID: conversationID, messageID: target.id, status: "cancelled", result: nil)
        }
        _ = try? emit(
            conversationID, target.id, "message.cancelled",
            ["messageId": .string(target.id), "by": .string(caller.user)])
        return target.id
    }

    /// Cancels every message this process answers and waits for them (shutdown).
    public func cancelAll() async {
        let all = running.withLock { Array($0.values) }
        for message in all {
            message.cancelled.store(true, ordering: .sequentiallyConsistent)
            if let runID = message.runID.withLock({ $0 }) { _ = try? service.cancel(runID: runID) }
            message.task.withLock { $0 }?.cancel()
        }
        for message in all { await message.task.withLock { $0 }?.value }
    }

    // MARK: Events

    /// Event types that end a message's part of the stream.
    public static let terminalEvents: Set<String> = [
        "message.completed", "message.failed", "message.cancelled", "message.interrupted", "message.paused",
    ]

    /// The conversation's events after `sequence`, then each new one as it is stored. With
    /// `messageID`, only that message's events, ending after its terminal event (completed, failed,
    /// cancelled, interrupted or paused); without, every event until the conversation is idle or paused
    /// and every event was delivered.
    ///
    /// - Throws: `NOT_FOUND` for an unknown conversation (before anything is yielded).
    public func events(conversationID: String, after sequence: Int64, messageID: String? = nil)
        throws(OmegaError) -> ConversationEventStream
    {
        _ = try conversation(id: conversationID)
        return ConversationEventStream(
            store: store, hub: hub, conversationID: conversationID, after: sequence, messageID: messageID)
    }

    /// Appends an event and wakes the streams.
    @discardableResult
    func emit(_ conversationID: String, _ messageID: String, _ type: String, _ data: JSONValue) throws(OmegaError)
        -> ConversationEvent
    {
        do {
            let event = try store.appendEvent(
                conversationID: conversationID, messageID: messageID, type: type, data: data, atMs: Self.nowMs())
            hub.notify(conversationID)
            return event
        } catch {
            throw Self.storeFailure(error)
        }
    }
}

extension ConversationService {
    /// Answers the approval a paused message waits for (a tool with an external write, a high risk or
    /// an elevated scope, or safe mode): approved, the run goes on from the step that paused, approved
    /// by `caller`; declined, its run is cancelled and the model is told the call was declined.
    ///
    /// - Parameters:
    ///   - runID: The paused run (nil: the conversation's one waiting approval).
    ///   - approve: true to approve, false to decline.
    /// - Throws: `NOT_FOUND`; `POLICY_DENIED` when `caller` is not the owner; `INVALID_STATE` when no
    ///   approval is waiting (or not for `runID`).
    public func answerApproval(conversationID: String, caller: ConversationCaller, runID: String?, approve: Bool)
        throws(OmegaError) -> MessageStart
    {
        let conversation = try conversation(id: conversationID)
        guard caller.user == conversation.owner else {
            throw OmegaError(
                .policyDenied,
                "only the conversation's owner approves its tool calls (they run with the owner's credentials)",
                details: ["field": "decision"])
        }
        let messages: [MessageRecord]
        do {
            messages = try store.messages(conversationID: conversationID)
        } catch {
            throw Self.storeFailure(error)
        }
        guard
            let message = messages.last(where: { $0.status == .paused }),
            let saved = message.transcript.flatMap(ExchangeState.init(json:)), let paused = saved.paused,
            paused.kind == "approval", runID == nil || runID == paused.runID
        else {
            throw OmegaError(
                .invalidState,
                "no tool call of this conversation waits for an approval\(runID.map { " (run \(Self.quoted($0)))" } ?? "")",
                details: ["field": "runId"])
        }
        let now = Self.nowMs()
        let claimed: Bool
        do {
            claimed = try store.resumeMessage(
                id: message.id, conversationID: conversationID, ownerProcess: ProcessIdentity.current, nowMs: now)
        } catch {
            throw Self.storeFailure(error)
        }
        guard claimed else {
            throw OmegaError(.invalidState, "the message waiting for this approval was resumed or cancelled already")
        }
        let resumed = try emit(
            conversationID, message.id, "message.resumed",
            [
                "messageId": .string(message.id), "runId": .string(paused.runID),
                "decision": .string(approve ? "approve" : "decline"), "by": .string(caller.user),
            ])
        var exchange = Exchange(
            conversation: conversation, message: message, state: saved, caller: caller,
            model: makeModel(conversation.owner), isFirst: message.sequence == 2, request: requestText(of: message),
            planChosen: false)
        exchange.approvedBy = approve ? caller.user : nil
        exchange.declined = !approve
        start(exchange)
        return MessageStart(userMessage: nil, assistantMessage: message, afterSequence: resumed.sequence - 1)
    }

    /// The user's words a message answers (its title source), or its own content when they are gone.
    func requestText(of message: MessageRecord) -> String {
        guard let replyTo = message.replyTo, let request = try? store.message(id: replyTo) else {
            return message.content
        }
        return request.content
    }
}
