import AgentHost
import ConversationStorage
import Foundation
import JSON
import ModelAdapters
import Service
import Synchronization
import TestSupport
import ToolRuntime

@testable import Conversations

/// A fresh appliance home with the starter tools, and a conversation service over it.
final class ConversationHome: Sendable {
    let root: String
    let service: OmegaService
    let registry: RegistryService
    let conversations: ConversationService

    init(label: String = "conversations", model: (any ChatModel)? = nil) throws {
        root = Fixture.directory(label)
        let runtime = RuntimeConfiguration(home: OmegaHome(root: root + "/home"))
        service = try OmegaService(configuration: runtime)
        registry = try RegistryService(configuration: runtime, runStore: service.runner.store)
        conversations = try ConversationService(
            service: service, registry: registry, store: try ConversationService.openStore(home: runtime.home),
            chatModel: model)
    }

    /// A second service over the same home, as a restarted process would open it.
    func reopened() throws -> ConversationService {
        try ConversationService(
            service: service, registry: registry, store: try ConversationService.openStore(home: service.home))
    }

    /// Every event of the conversation after `after`, until `messageID`'s terminal event.
    func events(_ conversationID: String, after: Int64, message messageID: String, within seconds: Double = 60)
        async throws -> [ConversationEvent]
    {
        let stream = try conversations.events(conversationID: conversationID, after: after, messageID: messageID)
        return try await withThrowingTaskGroup(of: [ConversationEvent].self) { group in
            group.addTask {
                var seen: [ConversationEvent] = []
                for try await event in stream { seen.append(event) }
                return seen
            }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                throw OmegaError(.timeout, "no terminal event within \(seconds) s")
            }
            let first = try await group.next() ?? []
            group.cancelAll()
            return first
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

/// A chat model for the loop's own rules (budget, cancellation, concurrency): it answers each turn with
/// what `script` says, given how many turns it answered before.
struct ScriptedChatModel: ChatModel {
    let script: @Sendable (Int, ChatRequest) async throws(OmegaError) -> ChatTurnResult
    let turns = Counter()

    final class Counter: Sendable {
        let value = Mutex(0)
        func next() -> Int {
            value.withLock {
                $0 += 1; return $0 - 1
            }
        }
    }

    var identity: ModelIdentity { ModelIdentity(provider: "test", model: "scripted", version: "1") }

    func respond(to request: ChatRequest, onEvent: @escaping @Sendable (ChatEvent) async -> Void)
        async throws(OmegaError) -> ChatTurnResult
    {
        let result = try await script(turns.next(), request)
        if !result.text.isEmpty { await onEvent(.text(result.text)) }
        for call in result.toolCalls { await onEvent(.toolCall(call)) }
        return result
    }
}
