import ConversationStorage
import Foundation
import JSON
import TestSupport
import Testing

@Suite("ConversationStore: one running message, gapless events, recovery")
struct ConversationStoreTests {
    static func open(_ root: String) throws -> ConversationStore {
        try ConversationStore(path: root + "/conversations.sqlite")
    }

    static func conversation(_ store: ConversationStore, owner: String = "alice") throws -> ConversationRecord {
        let record = ConversationRecord(
            id: UUID().uuidString.lowercased(), owner: owner, createdAtMs: 1, updatedAtMs: 1)
        try store.createConversation(record)
        return record
    }

    static func pair(_ conversationID: String, owner: String? = "x:1:1") -> (MessageRecord, MessageRecord) {
        let user = MessageRecord(
            id: UUID().uuidString.lowercased(), conversationID: conversationID, role: .user, author: "alice",
            content: "hi", status: .complete, createdAtMs: 2, updatedAtMs: 2)
        let assistant = MessageRecord(
            id: UUID().uuidString.lowercased(), conversationID: conversationID, role: .assistant, author: "alice",
            content: "", status: .running, replyTo: user.id, createdAtMs: 2, updatedAtMs: 2, ownerProcess: owner)
        return (user, assistant)
    }

    @Test("Of many concurrent claims on one conversation, through two stores, exactly one starts")
    func exactlyOneMessageStarts() async throws {
        let root = Fixture.directory("convstore")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let first = try Self.open(root)
        let second = try Self.open(root)
        let conversation = try Self.conversation(first)
        let started = await withTaskGroup(of: Bool.self) { group in
            for n in 0..<16 {
                let store = n.isMultiple(of: 2) ? first : second
                group.addTask {
                    if case .started? = try? store.beginMessage(Self.pair(conversation.id)) { return true }
                    return false
                }
            }
            var count = 0
            for await ok in group where ok { count += 1 }
            return count
        }
        #expect(started == 1)
        #expect(try first.messages(conversationID: conversation.id).count == 2)
        if case .busy(let running)? = try? first.beginMessage(Self.pair(conversation.id)) {
            #expect(try first.messages(conversationID: conversation.id).last?.id == running)
        } else {
            Issue.record("a second message started while one runs")
        }
    }

    @Test("Events appended concurrently from two stores are numbered 1…n without gap or repeat")
    func eventsAreGapless() async throws {
        let root = Fixture.directory("convstore")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let first = try Self.open(root)
        let second = try Self.open(root)
        let conversation = try Self.conversation(first)
        await withTaskGroup(of: Void.self) { group in
            for n in 0..<200 {
                let store = n.isMultiple(of: 2) ? first : second
                group.addTask {
                    _ = try? store.appendEvent(
                        conversationID: conversation.id, messageID: "m", type: "token", data: ["n": .integer(Int64(n))],
                        atMs: 3)
                }
            }
        }
        let events = try first.events(conversationID: conversation.id, after: 0)
        #expect(events.map(\.sequence) == Array(1...200))
        let resumed = try second.events(conversationID: conversation.id, after: 150)
        #expect(resumed.map(\.sequence) == Array(151...200))
        #expect(Set(events.compactMap { $0.data["n"] }).count == 200)
    }

    @Test("Recovery interrupts only messages whose process is gone, and frees their conversations")
    func recoveryInterruptsDeadOwnersOnly() throws {
        let root = Fixture.directory("convstore")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try Self.open(root)
        let dead = try Self.conversation(store)
        let alive = try Self.conversation(store)
        _ = try store.beginMessage(Self.pair(dead.id, owner: "boot:1:1"))
        _ = try store.beginMessage(Self.pair(alive.id, owner: "boot:2:2"))
        let marked = try store.recoverInterrupted(isAlive: { $0 == "boot:2:2" }, nowMs: 9)
        #expect(marked.count == 1)
        #expect(try store.conversation(id: dead.id)?.state == .idle)
        #expect(try store.conversation(id: alive.id)?.state == .running)
        #expect(try store.messages(conversationID: dead.id).last?.status == .interrupted)
        #expect(try store.events(conversationID: dead.id, after: 0).last?.type == "message.interrupted")
        // Idempotent.
        #expect(try store.recoverInterrupted(isAlive: { $0 == "boot:2:2" }, nowMs: 10).isEmpty)
    }

    @Test("A file that is not a database is refused, naming it")
    func foreignFileIsRefused() throws {
        let root = Fixture.directory("convstore")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: root + "/conversations.sqlite"))
        do {
            _ = try Self.open(root)
            Issue.record("opened a file that is not a database")
        } catch {
            #expect("\(error)".contains("conversations.sqlite"))
        }
    }
}
