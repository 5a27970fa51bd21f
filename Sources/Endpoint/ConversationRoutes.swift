import Access
import ConversationStorage
import Conversations
import Hummingbird
import JSON
import ToolRuntime

/// The conversations API of the Omega PRD (DESIGN §10), paths exactly:
/// - `POST /api/omega/conversations` (`{"title"?}`) → 201 the conversation; `GET` lists the caller's.
/// - `POST /api/omega/conversations/{id}/messages` (`{"content"}` or `{"planId", "choice", "input"?}`): the answer
///   as SSE (`message.created`, `plan`, `token`, `tool.started`, `tool.output`, `tool.finished`,
///   `pause`, then `message.completed` / `message.paused` / `message.failed` / `message.cancelled`);
///   202 JSON with the ids for a client that accepts only JSON. 409 while another message runs.
/// - `GET /api/omega/conversations/{id}`: the history. `GET …/events`: the stream, resumable with
///   `Last-Event-ID`.
/// - `POST …/credentials` (`{"credentialRequestId"?, "values", "save"?}`): stored in the owner's vault
///   (`save` false: used by the paused run only, never stored), the paused message resumes from the
///   step that paused (SSE like messages).
/// - `POST …/approvals` (`{"runId"?, "decision": "approve"|"decline"}`): the owner answers a paused
///   call's approval; the message goes on (SSE like messages).
/// - `POST …/plan` (`{"content", "maxPlans"?, "toolId"?}`): plans without running anything (with
///   `toolId`: one plan that runs that tool, e.g. an alternative a person picked).
/// - `GET …/export?format=json|md`. `POST …/cancel` (`{"messageId"?}`).
enum ConversationRoutes {
    static func register(_ router: Router<BasicRequestContext>, _ api: APIRoutes) {
        let base = "/api/omega/conversations"
        api.add(router, .post, base) { request, _, key, services throws(OmegaError) in
            let body = try await APIBody.object(request, allowed: ["title"]).get()
            let title = try APIBody.string(body, "title").get()
            let record = try services.conversations.create(caller: caller(key), title: title)
            return .json(ConversationDetail.json(record), status: 201, headers: [.location: "\(base)/\(record.id)"])
        }
        api.add(router, .get, base) { request, _, key, services throws(OmegaError) in
            let limit = try query(request, "limit").map { text throws(OmegaError) -> Int in
                guard let value = Int(text), (1...200).contains(value) else {
                    throw OmegaError(
                        .invalidInput, "limit: expected an integer from 1 to 200", details: ["field": "limit"])
                }
                return value
            }
            let list = try services.conversations.conversations(caller: caller(key), limit: limit ?? 50)
            return .json(["conversations": .array(list.map(ConversationDetail.json))], status: 200)
        }
        api.add(router, .get, base + "/:id") { _, context, _, services throws(OmegaError) in
            .json(try services.conversations.detail(id: id(context)).json, status: 200)
        }
        api.add(router, .post, base + "/:id/messages") { request, context, key, services throws(OmegaError) in
            let body = try await APIBody.object(request, allowed: ["content", "planId", "choice", "input"]).get()
            var input: [String: JSONValue]?
            if let given = body["input"], given != .null {
                guard case .object(let members) = given else {
                    throw OmegaError(.invalidInput, "input: expected a JSON object", details: ["field": "input"])
                }
                input = members
            }
            return try streaming(request, conversationID: id(context), key: key, services: services) {
                () throws(OmegaError) in
                try services.conversations.send(
                    conversationID: id(context), caller: caller(key),
                    content: try APIBody.string(body, "content").get(),
                    planID: try APIBody.string(body, "planId").get(),
                    choice: try APIBody.integer(body, "choice", in: 1...3).get(), input: input)
            }
        }
        api.add(router, .get, base + "/:id/events") { request, context, key, services throws(OmegaError) in
            let after = try ServerSentEvents.lastEventID(request.headers).get()
            let events = try services.conversations.events(conversationID: id(context), after: after)
            try claimStream(key: key, services: services)
            return sse(events, key: key, services: services)
        }
        api.add(router, .post, base + "/:id/credentials") { request, context, key, services throws(OmegaError) in
            let body = try await APIBody.object(request, allowed: ["credentialRequestId", "values", "save"]).get()
            guard body["values"].map({ $0 != .null }) == true else {
                throw OmegaError(
                    .invalidInput, "values: expected an object of the names asked for", details: ["field": "values"])
            }
            let requestID = try APIBody.string(body, "credentialRequestId").get()
            let values = try APIBody.strings(body, "values").get()
            var save = true
            if let given = body["save"], given != .null {
                guard let flag = given.boolValue else {
                    throw OmegaError(.invalidInput, "save: expected a boolean", details: ["field": "save"])
                }
                save = flag
            }
            return try streaming(request, conversationID: id(context), key: key, services: services) {
                () throws(OmegaError) in
                try services.conversations.provideCredentials(
                    conversationID: id(context), caller: caller(key), requestID: requestID, values: values,
                    save: save)
            }
        }
        api.add(router, .post, base + "/:id/approvals") { request, context, key, services throws(OmegaError) in
            let body = try await APIBody.object(request, allowed: ["runId", "decision"]).get()
            let decision = try APIBody.string(body, "decision").get()
            guard decision == "approve" || decision == "decline" else {
                throw OmegaError(.invalidInput, "decision: expected approve or decline", details: ["field": "decision"])
            }
            let runID = try APIBody.string(body, "runId").get()
            return try streaming(request, conversationID: id(context), key: key, services: services) {
                () throws(OmegaError) in
                try services.conversations.answerApproval(
                    conversationID: id(context), caller: caller(key), runID: runID, approve: decision == "approve")
            }
        }
        api.add(router, .post, base + "/:id/plan") { request, context, key, services throws(OmegaError) in
            let body = try await APIBody.object(request, allowed: ["content", "maxPlans", "toolId"]).get()
            guard let content = try APIBody.string(body, "content").get() else {
                throw OmegaError(.invalidInput, "content: expected a string", details: ["field": "content"])
            }
            let plan = try services.conversations.plan(
                conversationID: id(context), caller: caller(key), content: content,
                maxPlans: try APIBody.integer(body, "maxPlans", in: 1...3).get() ?? 3,
                toolID: try APIBody.string(body, "toolId").get())
            return .json(ConversationDetail.json(plan), status: 200)
        }
        api.add(router, .get, base + "/:id/export") { request, context, _, services throws(OmegaError) in
            let format = try query(request, "format") ?? "json"
            let detail = try services.conversations.detail(id: id(context))
            let file = "conversation-\(detail.conversation.id)"
            switch format {
            case "json":
                return .json(
                    detail.json, status: 200, headers: [.contentDisposition: "attachment; filename=\"\(file).json\""])
            case "md":
                return Response(
                    status: .ok,
                    headers: [
                        .contentType: "text/markdown; charset=utf-8", .cacheControl: "no-store",
                        .xContentTypeOptions: "nosniff", .contentDisposition: "attachment; filename=\"\(file).md\"",
                    ],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: detail.markdown)))
            default:
                throw OmegaError(.invalidInput, "format: expected json or md", details: ["field": "format"])
            }
        }
        api.add(router, .post, base + "/:id/cancel") { request, context, key, services throws(OmegaError) in
            let body = try await APIBody.object(request, allowed: ["messageId"]).get()
            let cancelled = try services.conversations.cancel(
                conversationID: id(context), messageID: try APIBody.string(body, "messageId").get(), caller: caller(key)
            )
            return .json(["cancelled": true, "messageId": .string(cancelled)], status: 200)
        }
    }

    static func caller(_ key: APIKey) -> ConversationCaller { ConversationCaller(user: key.user, keyID: key.id) }

    static func id(_ context: BasicRequestContext) -> String { context.parameters.get("id") ?? "" }

    /// The query parameter `name` (the last when repeated), nil when absent.
    static func query(_ request: Request, _ name: String) throws(OmegaError) -> String? {
        guard let value = request.uri.queryParameters.getAll(name).last else { return nil }
        return String(value)
    }

    /// Starts (or resumes) a message with `start` and answers with its events as SSE, or (for a client
    /// that accepts only JSON) 202 with its ids. The stream's slot is claimed before anything starts, so
    /// a key at its limit of open streams is refused (429) with nothing begun.
    static func streaming(
        _ request: Request, conversationID: String, key: APIKey, services: APIServices,
        _ start: () throws(OmegaError) -> ConversationService.MessageStart
    ) throws(OmegaError) -> Response {
        let accept = request.headers[values: .accept].joined(separator: ", ")
        let wantsEvents = accept.isEmpty || MediaType.accepts(accept, "text/event-stream")
        if wantsEvents { try claimStream(key: key, services: services) }
        let started: ConversationService.MessageStart
        do throws(OmegaError) {
            started = try start()
        } catch {
            if wantsEvents { services.closeStream(keyID: key.id) }
            throw error
        }
        guard wantsEvents else {
            return .json(
                [
                    "conversationId": .string(conversationID), "messageId": .string(started.assistantMessage.id),
                    "userMessageId": started.userMessage.map { .string($0.id) } ?? .null,
                    "events": .string("/api/omega/conversations/\(conversationID)/events"),
                    "afterEventId": .integer(started.afterSequence),
                ], status: 202)
        }
        let events: ConversationEventStream
        do throws(OmegaError) {
            events = try services.conversations.events(
                conversationID: conversationID, after: started.afterSequence, messageID: started.assistantMessage.id)
        } catch {
            services.closeStream(keyID: key.id)
            throw error
        }
        return sse(
            events, key: key, services: services, headers: [HeaderName("X-Message-Id")!: started.assistantMessage.id])
    }

    /// Claims one of the key's stream slots (`RATE_LIMITED` when it holds the most).
    static func claimStream(key: APIKey, services: APIServices) throws(OmegaError) {
        guard services.openStream(keyID: key.id) else {
            throw OmegaError(
                .rateLimited, "this key holds \(APIServices.maximumStreamsPerKey) event streams open already",
                details: ["retryAfterSeconds": 1])
        }
    }

    /// Conversation events as SSE on a slot the key claimed (``claimStream(key:services:)``), freed when
    /// the stream ends.
    static func sse(
        _ events: ConversationEventStream, key: APIKey, services: APIServices, headers: HTTPFields = [:]
    ) -> Response {
        services.metrics.streamOpened()
        let mapped = events.map { ServerSentEvents.Event(id: String($0.sequence), type: $0.type, data: $0.data) }
        return ServerSentEvents.response(mapped, headers: headers) {
            services.closeStream(keyID: key.id)
            services.metrics.streamClosed()
        }
    }
}
