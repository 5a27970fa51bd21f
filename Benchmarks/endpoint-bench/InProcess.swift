import AgentHost
import Audit
import Conversations
import Foundation
import JSON
import Logging
import Service
import ToolRuntime

/// The server's pieces opened in this process on a home of its own (the pipeline, the registry, the
/// keys, the audit log, the conversations), for the reference figures and the parts timed alone.
struct InProcess: Sendable {
    let host: MCPHost
    let conversations: ConversationService
    let audit: AuditService
    /// What the registry runs for text.stats (the starter folder), exactly as the run route resolves it.
    let folder: String

    static func open(home: String) throws(OmegaError) -> InProcess {
        let logger = Logger(label: "omega.endpoint-bench")
        let host = try MCPHost.open(
            configuration: RuntimeConfiguration(home: OmegaHome(root: home)), host: MCPHostConfiguration(),
            logger: logger)
        let conversations = try ConversationService(
            service: host.service, registry: host.registry,
            store: try ConversationService.openStore(home: host.service.home), logger: logger)
        let audit = try AuditService(home: host.service.home, logger: logger)
        let folder = try host.registry.executionReference("text.stats")
        return InProcess(host: host, conversations: conversations, audit: audit, folder: folder)
    }
}

/// One piece timed alone: its name and latencies (ms).
struct Part: Sendable {
    var name: String
    var values: [Double]
}

/// The server's pieces on a request's path, each timed alone `count` times (no load).
func timeParts(_ inProcess: InProcess, count: Int) async throws(OmegaError) -> [Part] {
    var parts: [Part] = []
    func part(_ name: String, _ body: () throws(OmegaError) -> Void) throws(OmegaError) {
        var values: [Double] = []
        for _ in 0..<count {
            let start = now()
            try body()
            values.append((now() - start) * 1000)
        }
        parts.append(Part(name: name, values: values))
    }
    let (_, secret) = try inProcess.host.access.create(name: "endpoint-bench-\(getpid())", user: "bench")
    try part("key check (authenticate: SQLite, SHA-256)") { () throws(OmegaError) in
        _ = try inProcess.host.access.authenticate(bearer: secret)
    }
    try part("registry lookup (executionReference)") { () throws(OmegaError) in
        _ = try inProcess.host.registry.executionReference("text.stats")
    }
    try part("audit append (fdatasync, fsync, rename)") { () throws(OmegaError) in
        if case .failure(let error) = inProcess.audit.record(
            .toolCall, actor: AuditActor(user: "bench", keyID: "key_bench"),
            fields: ["runId": "run_x", "toolId": "text.stats", "status": "completed", "via": "api"])
        {
            throw error
        }
    }
    let caller = ConversationCaller(user: "bench", keyID: nil)
    let conversation = try inProcess.conversations.create(caller: caller)
    let store = inProcess.conversations.store
    try part("conversation lookup (conversation(id:))") { () throws(OmegaError) in
        _ = try inProcess.conversations.conversation(id: conversation.id)
    }
    try part("event append (appendEvent: a transaction)") { () throws(OmegaError) in
        do {
            _ = try store.appendEvent(
                conversationID: conversation.id, messageID: "m", type: "token", data: ["text": "word "],
                atMs: Int64(wallMs()))
        } catch {
            throw OmegaError(.internalError, "\(error)")
        }
    }
    try part("events read (events(after:), none new)") { () throws(OmegaError) in
        do {
            _ = try store.events(conversationID: conversation.id, after: Int64(count))
        } catch {
            throw OmegaError(.internalError, "\(error)")
        }
    }
    return parts
}

/// A message answered in this process: `send` (which stores `message.created`) and the message's
/// event stream read to `message.completed`, as the route does minus HTTP.
struct InProcessMessage: Sendable {
    var sendMs: Double
    var firstEventMs: Double
    var completedMs: Double
    var events: Int
}

func inProcessMessage(_ conversations: ConversationService, conversation: String, content: String) async throws
    -> InProcessMessage
{
    let caller = ConversationCaller(user: "bench", keyID: nil)
    let start = now()
    let begun = try conversations.send(conversationID: conversation, caller: caller, content: content)
    let sent = now()
    let events = try conversations.events(
        conversationID: conversation, after: begun.afterSequence, messageID: begun.assistantMessage.id)
    var first: Double?
    var count = 0
    for try await event in events {
        count += 1
        if first == nil { first = now() }
        if terminalEvents.contains(event.type) {
            guard event.type == "message.completed" else {
                throw OmegaError(.internalError, "in-process message ended with \(event.type): \(event.data.jsonText)")
            }
            return InProcessMessage(
                sendMs: (sent - start) * 1000, firstEventMs: ((first ?? now()) - start) * 1000,
                completedMs: (now() - start) * 1000, events: count)
        }
    }
    throw OmegaError(.internalError, "in-process message stream ended without a terminal event")
}
