import AgentHost
import ConversationStorage
import Credentials
import Foundation
import JSON
import Logging
import ModelAdapters
import Service
import Synchronization
import ToolRuntime

/// The conversations of the HTTP endpoint (DESIGN §10, PRD flows A–D): a user asks for an outcome, the
/// agent finds and runs tools step by step, asks for a missing key, and goes on where it paused.
///
/// Guarantees:
/// - Every tool call that executes a tool is a run of the pipeline (with its events in the run store),
///   run with the **owner's** credentials whoever posted the message (PRD §12); built-in calls
///   (`registry_search`) run nothing and keep their result on the call.
/// - At most one message of a conversation runs at a time (a second is `INVALID_STATE`, HTTP 409), and
///   at most ``maximumToolCalls`` tool calls answer one message.
/// - Every step is an event in the conversation's stream, stored before anyone sees it, numbered
///   without gaps; a client resumes after the last id it saw.
/// - A message runs in a task of this service, not of the request that started it: a client that goes
///   away does not stop it (``cancel(conversationID:messageID:caller:)`` does).
/// - No credential value enters a message, an event, a tool call's record, a log line or an error.
public final class ConversationService: Sendable {
    /// Most tool calls one message may make.
    public static let maximumToolCalls = 200
    /// Longest message accepted, in UTF-8 bytes.
    public static let maximumMessageBytes = 16384
    /// Longest title kept.
    static let maximumTitleCharacters = 80
    /// How often an event stream looks at the store for events appended by another process.
    static let pollInterval: Duration = .milliseconds(250)

    /// The conversations' store.
    public let store: ConversationStore
    /// The pipeline.
    public let service: OmegaService
    /// The registry (search, execution references).
    public let registry: RegistryService
    /// The offline planner (plans, alternatives; the default model).
    public let planner: OfflinePlanner
    /// Which model answers.
    public let modelConfiguration: ModelConfiguration
    let makeModel: @Sendable (_ owner: String) -> any ChatModel
    let hub = ConversationEventHub()
    let running = Mutex<[String: RunningMessage]>([:])
    let observer: (any ConversationObserver)?
    let logger: Logger

    /// A message this process is answering: its task and the run it waits on.
    final class RunningMessage: Sendable {
        let conversationID: String
        let runID = Mutex<String?>(nil)
        let cancelled = Atomic<Bool>(false)
        let task = Mutex<Task<Void, Never>?>(nil)
        init(conversationID: String) { self.conversationID = conversationID }
    }

    /// A service over the appliance's stores.
    ///
    /// - Parameters:
    ///   - service: The pipeline.
    ///   - registry: The registry.
    ///   - store: The conversations' store; messages left running by a dead process are marked
    ///     interrupted now.
    ///   - model: Which model answers (the offline model for `offline`).
    ///   - chatModel: A model to answer instead of the configured one (an embedder's own).
    ///   - observer: Told of tool calls and credential access (the audit log).
    ///   - logger: Where it logs (never a value, a key or a message's text).
    public init(
        service: OmegaService, registry: RegistryService, store: ConversationStore,
        model: ModelConfiguration = .offline, chatModel: (any ChatModel)? = nil,
        observer: (any ConversationObserver)? = nil, logger: Logger = Logger(label: "omega.conversations")
    ) throws(OmegaError) {
        self.service = service
        self.registry = registry
        self.store = store
        let planner = OfflinePlanner(registry: registry)
        self.planner = planner
        self.modelConfiguration = model
        let remote = chatModel ?? model.makeChatModel()
        self.makeModel = { owner in remote ?? OfflineChatModel(planner: planner, user: owner) }
        self.observer = observer
        self.logger = logger
        do {
            try store.recoverInterrupted(isAlive: ProcessIdentity.isAlive, nowMs: Self.nowMs())
        } catch {
            throw OmegaError(.internalError, "cannot recover conversations: \(error.message)")
        }
    }

    /// Opens the conversations' store in `home` (`conversations.sqlite`).
    public static func openStore(home: OmegaHome) throws(OmegaError) -> ConversationStore {
        do {
            return try ConversationStore(path: home.root + "/conversations.sqlite")
        } catch {
            throw OmegaError(.internalError, error.message)
        }
    }

    static func nowMs() -> Int64 { ConversationStore.currentTimeMs() }

    /// `error` as `INTERNAL_ERROR`.
    static func storeFailure(_ error: ConversationStoreError) -> OmegaError {
        OmegaError(.internalError, "conversation store: \(error.message)")
    }

    // MARK: Conversations

    /// Starts a conversation owned by `caller`'s user.
    ///
    /// - Parameter title: An optional title (1–80 characters, no control characters); otherwise one is
    ///   set after the first answer.
    /// - Throws: `INVALID_INPUT` naming `title`; `INTERNAL_ERROR`.
    public func create(caller: ConversationCaller, title: String? = nil) throws(OmegaError) -> ConversationRecord {
        if let title {
            guard !title.trimmingCharacters(in: .whitespaces).isEmpty,
                title.unicodeScalars.count <= Self.maximumTitleCharacters,
                !title.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else {
                throw OmegaError(
                    .invalidInput, "title: expected 1–80 characters without control characters",
                    details: ["field": "title"])
            }
        }
        let now = Self.nowMs()
        let record = ConversationRecord(
            id: UUID().uuidString.lowercased(), owner: caller.user, title: title, createdAtMs: now, updatedAtMs: now)
        do {
            try store.createConversation(record)
        } catch {
            throw Self.storeFailure(error)
        }
        return record
    }

    /// The conversation `id`.
    ///
    /// - Throws: `NOT_FOUND` naming `id` (also for an id that is not a UUID); `INTERNAL_ERROR`.
    public func conversation(id: String) throws(OmegaError) -> ConversationRecord {
        guard Self.isUUID(id) else {
            throw OmegaError(.notFound, "no conversation \(Self.quoted(id))", details: ["field": "id"])
        }
        let found: ConversationRecord?
        do {
            found = try store.conversation(id: id)
        } catch {
            throw Self.storeFailure(error)
        }
        guard let found else {
            throw OmegaError(.notFound, "no conversation \(id)", details: ["field": "id"])
        }
        return found
    }

    /// `caller`'s conversations, most recently updated first.
    public func conversations(caller: ConversationCaller, limit: Int = 50) throws(OmegaError) -> [ConversationRecord] {
        do {
            return try store.conversations(owner: caller.user, limit: max(1, min(limit, 200)))
        } catch {
            throw Self.storeFailure(error)
        }
    }

    /// The whole conversation: its messages with their tool calls (each with its run's status), plans
    /// and credential requests.
    public func detail(id: String) throws(OmegaError) -> ConversationDetail {
        let record = try conversation(id: id)
        do {
            // Read first: the history below reflects at least every event up to it, so a client that
            // follows the stream from it misses nothing (and may see a few events it has already).
            let lastEvent = try store.lastEventSequence(conversationID: id)
            return ConversationDetail(
                conversation: record, messages: try store.messages(conversationID: id),
                toolCalls: try store.toolCalls(conversationID: id), plans: try store.plans(conversationID: id),
                credentialRequests: try store.credentialAsks(conversationID: id), lastEventID: lastEvent)
        } catch {
            throw Self.storeFailure(error)
        }
    }

    // MARK: Plans

    /// Plans for `content` without running anything (flow C); a later message may run one
    /// (``send(conversationID:caller:content:planID:choice:)``).
    ///
    /// - Throws: `NOT_FOUND`; `INVALID_INPUT` naming `content` or `maxPlans`; `TOOL_NOT_FOUND` naming
    ///   `toolId` (a chosen tool the registry does not know); `INTERNAL_ERROR`.
    public func plan(
        conversationID: String, caller: ConversationCaller, content: String, maxPlans: Int = 3, toolID: String? = nil
    ) throws(OmegaError) -> PlanRecord {
        let conversation = try conversation(id: conversationID)
        try Self.checkContent(content, field: "content")
        let response: PlanResponse
        do throws(OmegaError) {
            response = try planner.planNow(
                PlanRequest(text: content, user: conversation.owner, maxPlans: maxPlans, toolID: toolID))
        } catch {
            if error.code == .invalidInput, error.details["field"]?.stringValue == "request" {
                throw OmegaError(
                    .invalidInput, error.message.replacingOccurrences(of: "request", with: "content"),
                    details: ["field": "content"])
            }
            throw error
        }
        let record = PlanRecord(
            id: UUID().uuidString.lowercased(), conversationID: conversationID, request: content,
            author: caller.user, response: response.json, createdAtMs: Self.nowMs())
        do {
            try store.savePlan(record)
        } catch {
            throw Self.storeFailure(error)
        }
        return record
    }

    // MARK: Validation

    /// Whether `text` is a lowercase hyphenated UUID (what conversation, message and plan ids are).
    public static func isUUID(_ text: String) -> Bool {
        text.utf8.count == 36 && UUID(uuidString: text) != nil && text == text.lowercased()
    }

    /// `text` shortened and quoted for an error message (never more than 64 characters of it).
    static func quoted(_ text: String) -> String {
        "\"\(OmegaError.shown(text))\""
    }

    /// Refuses an empty or blank text, one over ``maximumMessageBytes``, or one with control characters
    /// other than tab, line feed and carriage return.
    static func checkContent(_ text: String, field: String) throws(OmegaError) {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw OmegaError(.invalidInput, "\(field): expected a non-empty text", details: ["field": .string(field)])
        }
        guard text.utf8.count <= maximumMessageBytes else {
            throw OmegaError(
                .invalidInput, "\(field): expected at most \(maximumMessageBytes) bytes, got \(text.utf8.count)",
                details: ["field": .string(field)])
        }
        if text.unicodeScalars.contains(where: {
            ($0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r") || $0.value == 0x7f
        }) {
            throw OmegaError(
                .invalidInput, "\(field): control characters are not allowed (tab and line breaks are)",
                details: ["field": .string(field)])
        }
    }

    /// The title after the first answer: the first line of the first message, at most 80 characters
    /// (cut at a word).
    static func title(from text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? text
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.count > maximumTitleCharacters else { return trimmed }
        let cut = String(trimmed.prefix(maximumTitleCharacters - 1))
        let word = cut.lastIndex(of: " ").map { String(cut[..<$0]) } ?? cut
        return word + "…"
    }
}

extension ConversationService {
    /// The model that answers (the offline planner's identity when none is configured).
    public var modelIdentity: ModelIdentity { makeModel(APIKeyDefaults.localUser).identity }
}

/// The user the offline model plans for when no conversation is at hand.
enum APIKeyDefaults {
    static let localUser = "local"
}
