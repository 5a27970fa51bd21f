import ConversationStorage
import Foundation
import JSON
import ModelAdapters
import Service
import Synchronization
import Testing
import ToolRuntime

@testable import Conversations

@Suite("Conversations: the agent loop over the offline model")
struct ConversationFlowTests {
    let alice = ConversationCaller(user: "alice", keyID: "key_a")
    let bob = ConversationCaller(user: "bob", keyID: "key_b")

    @Test("A message that names a task runs the tool and answers from its output (flow A)")
    func chatRunsAToolAndAnswers() async throws {
        let home = try ConversationHome()
        defer { home.remove() }
        let conversation = try home.conversations.create(caller: alice)
        #expect(conversation.title == nil && conversation.state == .idle)
        let start = try home.conversations.send(
            conversationID: conversation.id, caller: alice,
            content: "Count the words in: the quick brown fox jumps over the lazy dog")
        let events = try await home.events(
            conversation.id, after: start.afterSequence, message: start.assistantMessage.id)
        let types = events.map(\.type)
        #expect(types.first == "message.created")
        #expect(types.contains("plan") && types.contains("token"))
        let started = try #require(events.first { $0.type == "tool.started" && $0.data["runId"] != nil })
        #expect(started.data["toolId"] == "text.stats")
        let finished = try #require(events.first { $0.type == "tool.finished" })
        #expect(finished.data["status"] == "completed")
        #expect(finished.data["output"]?["words"] == .integer(9))
        #expect(types.last == "message.completed")
        // Numbered without gaps.
        #expect(zip(events, events.dropFirst()).allSatisfy { $1.sequence == $0.sequence + 1 })

        let detail = try home.conversations.detail(id: conversation.id)
        #expect(detail.conversation.title == "Count the words in: the quick brown fox jumps over the lazy dog")
        #expect(detail.conversation.state == .idle)
        #expect(detail.messages.map(\.role) == [.user, .assistant])
        #expect(detail.messages[1].status == .complete && detail.messages[1].content.contains("text.stats finished"))
        // The history says which event it reflects: following from it misses nothing.
        #expect(detail.lastEventID == events.last?.sequence && detail.json["lastEventId"] == .integer(detail.lastEventID))
        let call = try #require(detail.toolCalls.first)
        #expect(call.status == "completed" && call.runID == started.data["runId"]?.stringValue)
        let run = try home.service.run(id: try #require(call.runID))
        #expect(run.record.status == .completed && run.record.user == "alice")
    }

    @Test(
        "A tool that needs a key and an approval pauses once for each; only the owner's answers resume it from the same step (flow B)",
        arguments: [true, false]
    )
    func missingCredentialsPauseAndResume(save: Bool) async throws {
        let home = try ConversationHome()
        defer { home.remove() }
        let conversation = try home.conversations.create(caller: alice)
        // A plan that runs the webhook tool (external write: approval; WEBHOOK_SECRET: credentials).
        let step: JSONValue = [
            "stepNumber": 1, "toolName": "registry_execute", "purpose": "Sign the delivery",
            "toolId": "notify.webhook_prepare",
            "input": [
                "url": "https://hooks.example.com/omega", "event": "order.created", "payload": ["orderId": "A-1001"],
                "timestamp": 1_700_000_000,
            ],
        ]
        let plan = PlanRecord(
            id: UUID().uuidString.lowercased(), conversationID: conversation.id, request: "Sign a webhook delivery",
            author: "alice",
            response: ["plans": [["plan": [step], "confidence": 0.9, "reasoning": "test plan"]]],
            createdAtMs: ConversationStore.currentTimeMs())
        try home.conversations.store.savePlan(plan)
        let secret = "whsec-" + UUID().uuidString
        var start = try home.conversations.send(
            conversationID: conversation.id, caller: bob, content: nil, planID: plan.id, choice: 1)
        let messageID = start.assistantMessage.id
        var runIDs: Set<String> = []
        var all: [ConversationEvent] = []
        var pauses: [String] = []
        for _ in 0..<4 {
            let events = try await home.events(conversation.id, after: start.afterSequence, message: messageID)
            all += events
            guard let pause = events.first(where: { $0.type == "pause" }) else { break }
            pauses.append(pause.data["kind"]?.stringValue ?? "?")
            runIDs.insert(try #require(pause.data["runId"]?.stringValue))
            #expect(try home.conversations.detail(id: conversation.id).conversation.state == .paused)
            if pause.data["kind"] == "credentials" {
                #expect(pause.data["missingVars"]?.arrayValue?.first?["name"] == "WEBHOOK_SECRET")
                // Bob may post to the conversation, but never store alice's credentials.
                #expect(throws: OmegaError.self) {
                    try home.conversations.provideCredentials(
                        conversationID: conversation.id, caller: bob, requestID: nil, values: ["WEBHOOK_SECRET": secret]
                    )
                }
                do {
                    _ = try home.conversations.provideCredentials(
                        conversationID: conversation.id, caller: alice, requestID: nil, values: ["OTHER": "x"])
                    Issue.record("stored a name nobody asked for")
                } catch {
                    #expect(error.code == .invalidInput && error.message.contains("OTHER"))
                }
                start = try home.conversations.provideCredentials(
                    conversationID: conversation.id, caller: alice,
                    requestID: pause.data["credentialRequestId"]?.stringValue, values: ["WEBHOOK_SECRET": secret],
                    save: save)
            } else {
                #expect(pause.data["kind"] == "approval")
                #expect(throws: OmegaError.self) {
                    try home.conversations.answerApproval(
                        conversationID: conversation.id, caller: bob, runID: nil, approve: true)
                }
                start = try home.conversations.answerApproval(
                    conversationID: conversation.id, caller: alice, runID: nil, approve: true)
            }
        }
        #expect(all.last?.type == "message.completed")
        // The approval, granted for this run only, still covers it when it resumes after the credentials.
        #expect(pauses == ["approval", "credentials"])
        #expect(runIDs.count == 1, "every pause and the end are the same run: \(runIDs)")
        let stored = try CredentialService(home: home.service.home).value("WEBHOOK_SECRET", scope: .user("alice"))
        #expect(stored == (save ? secret : nil), "save \(save): the vault holds \(stored == nil ? "nothing" : "a value")")
        let resumed = try #require(all.first { $0.type == "message.resumed" && $0.data["names"] != nil })
        #expect(resumed.data["saved"]?.boolValue == save)
        let finished = try #require(all.last { $0.type == "tool.finished" })
        #expect(finished.data["status"] == "completed" && finished.data["runId"]?.stringValue == runIDs.first)
        let run = try home.service.run(id: try #require(runIDs.first))
        #expect(run.record.status == .completed && run.record.user == "alice")
        #expect(run.events.contains { $0.type == .runResumed })
        // The secret is in no event, message, call or export.
        let detail = try home.conversations.detail(id: conversation.id)
        let texts = all.map(\.data.jsonText) + [detail.json.jsonText, detail.markdown]
        #expect(!texts.contains { $0.contains(secret) })
        #expect(
            detail.credentialRequests.first?.status == .provided
                && detail.credentialRequests.first?.resolvedBy == "alice")
        #expect(detail.plans.first?.chosen == 1 && detail.plans.first?.messageID == messageID)
    }

    @Test("A second message while one runs is refused with INVALID_STATE; cancel ends the running one")
    func oneRunningMessageAtATime() async throws {
        let gate = Gate()
        let model = ScriptedChatModel { _, _ throws(OmegaError) in
            await gate.wait()
            if Task.isCancelled { throw OmegaError(.cancelled, "cancelled") }
            return ChatTurnResult(text: "done", toolCalls: [], stopReason: .end)
        }
        let home = try ConversationHome(model: model)
        defer { home.remove() }
        let conversation = try home.conversations.create(caller: alice)
        let start = try home.conversations.send(conversationID: conversation.id, caller: alice, content: "hello")
        #expect(throws: OmegaError.self) {
            try home.conversations.send(conversationID: conversation.id, caller: bob, content: "me too")
        }
        do {
            _ = try home.conversations.send(conversationID: conversation.id, caller: bob, content: "me too")
        } catch {
            #expect(error.code == .invalidState && error.code.httpStatus == 409)
        }
        let cancelled = try home.conversations.cancel(conversationID: conversation.id, caller: bob)
        #expect(cancelled == start.assistantMessage.id)
        gate.open()
        let events = try await home.events(
            conversation.id, after: start.afterSequence, message: start.assistantMessage.id)
        #expect(events.last?.type == "message.cancelled")
        let detail = try home.conversations.detail(id: conversation.id)
        #expect(detail.messages.last?.status == .cancelled && detail.conversation.state == .idle)
        // The conversation takes a new message after that.
        let next = try home.conversations.send(conversationID: conversation.id, caller: alice, content: "again")
        let more = try await home.events(conversation.id, after: next.afterSequence, message: next.assistantMessage.id)
        #expect(more.last?.type == "message.completed")
    }

    @Test("A model that keeps calling tools is stopped after 200 calls")
    func toolCallBudgetIsEnforced() async throws {
        let model = ScriptedChatModel { turn, _ throws(OmegaError) in
            ChatTurnResult(
                text: "",
                toolCalls: [ChatToolCall(id: "c\(turn)", name: "registry_search", arguments: ["query": "count words"])],
                stopReason: .toolCalls)
        }
        let home = try ConversationHome(model: model)
        defer { home.remove() }
        let conversation = try home.conversations.create(caller: alice)
        let start = try home.conversations.send(conversationID: conversation.id, caller: alice, content: "loop")
        let events = try await home.events(
            conversation.id, after: start.afterSequence, message: start.assistantMessage.id, within: 120)
        #expect(events.filter { $0.type == "tool.finished" }.count == ConversationService.maximumToolCalls)
        #expect(events.last?.type == "message.completed")
        let message = try #require(try home.conversations.detail(id: conversation.id).messages.last)
        #expect(message.toolCallCount == 200 && message.content.contains("Stopped after 200 tool calls"))
    }

    @Test("A message left running by a dead process is interrupted at the next open, with an event")
    func deadProcessMessagesBecomeInterrupted() async throws {
        let home = try ConversationHome()
        defer { home.remove() }
        let conversation = try home.conversations.create(caller: alice)
        let now = ConversationStore.currentTimeMs()
        let user = MessageRecord(
            id: UUID().uuidString.lowercased(), conversationID: conversation.id, role: .user, author: "alice",
            content: "hi", status: .complete, createdAtMs: now, updatedAtMs: now)
        let assistant = MessageRecord(
            id: UUID().uuidString.lowercased(), conversationID: conversation.id, role: .assistant, author: "alice",
            content: "", status: .running, replyTo: user.id, createdAtMs: now, updatedAtMs: now,
            ownerProcess: "noboot:999999:1")
        _ = try home.conversations.store.beginMessage((user, assistant))
        let reopened = try home.reopened()
        let detail = try reopened.detail(id: conversation.id)
        #expect(detail.messages.last?.status == .interrupted && detail.conversation.state == .idle)
        let events = try home.conversations.store.events(conversationID: conversation.id, after: 0)
        #expect(events.last?.type == "message.interrupted")
    }

    @Test("Bad input names its field: empty, control characters, too long, unknown ids")
    func badInputNamesTheField() throws {
        let home = try ConversationHome()
        defer { home.remove() }
        let conversation = try home.conversations.create(caller: alice)
        for content in ["", "   ", "a\u{0}b", String(repeating: "x", count: 16385)] {
            do {
                _ = try home.conversations.send(conversationID: conversation.id, caller: alice, content: content)
                Issue.record("accepted \(content.prefix(8))")
            } catch {
                #expect(error.code == .invalidInput && error.details["field"] == "content")
            }
        }
        for id in ["../../etc/passwd", "not-a-uuid", UUID().uuidString.lowercased(), UUID().uuidString.uppercased()] {
            do {
                _ = try home.conversations.detail(id: id)
                Issue.record("found \(id)")
            } catch {
                #expect(error.code == .notFound && !error.message.contains("\n"))
            }
        }
        do {
            _ = try home.conversations.create(caller: alice, title: "bad\r\nX-Injected: 1")
            Issue.record("accepted a title with a line break")
        } catch {
            #expect(error.details["field"] == "title")
        }
    }

    @Test("Only the owner stores credentials; a non-waiting conversation says so")
    func credentialsAreTheOwnersAlone() throws {
        let home = try ConversationHome()
        defer { home.remove() }
        let conversation = try home.conversations.create(caller: alice)
        do {
            _ = try home.conversations.provideCredentials(
                conversationID: conversation.id, caller: bob, requestID: nil, values: ["WEBHOOK_SECRET": "x"])
            Issue.record("bob stored alice's credentials")
        } catch {
            #expect(error.code == .policyDenied)
        }
        do {
            _ = try home.conversations.provideCredentials(
                conversationID: conversation.id, caller: alice, requestID: nil, values: ["WEBHOOK_SECRET": "x"])
            Issue.record("stored credentials nobody asked for")
        } catch {
            #expect(error.code == .invalidState)
        }
    }

    @Test("The Markdown export escapes what could break out of its blocks")
    func markdownExportIsWellFormed() {
        let now: Int64 = 1
        let conversation = ConversationRecord(
            id: "c", owner: "alice", title: "# Title with `code`", createdAtMs: now, updatedAtMs: now)
        let call = ToolCallRecord(
            id: "t", conversationID: "c", messageID: "m", index: 1, callID: "x", name: "registry_execute",
            toolID: "text.stats", arguments: ["text": "```\n# injected"], status: "completed",
            result: ["output": "````"], createdAtMs: now, updatedAtMs: now)
        let message = MessageRecord(
            id: "m", conversationID: "c", sequence: 2, role: .assistant, author: "alice", content: "ok",
            status: .complete, createdAtMs: now, updatedAtMs: now)
        let markdown = ConversationDetail(
            conversation: conversation, messages: [message], toolCalls: [call], plans: [], credentialRequests: []
        ).markdown
        #expect(markdown.hasPrefix("# \\# Title with \\`code\\`\n"))
        #expect(markdown.contains("`````json"))
    }
}

/// Opens once; every waiter then goes on.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
