import Access
import Audit
import Conversations
import Hummingbird
import JSON
import RunStorage
import Service
import ToolRuntime

/// Tools and runs as resources (DESIGN §10):
/// - `GET /api/tools?q=&limit=`: the registry search.
/// - `POST /api/tools/{id}/runs` (`{"input", "env"?, "wait"?}`): one call through the pipeline, with the
///   key's user's credentials (plus `env`, never stored). Waits for the end (`wait` true, the default):
///   200 with the result when it completed, else the §5 object with its status (409 for a pause, with
///   the run id). With `"wait": false`: 202 with the run id once the run exists.
/// - `GET /api/runs/{id}`, `GET /api/runs/{id}/events` (SSE, resumable with `Last-Event-ID`),
///   `POST /api/runs/{id}/cancel`. A key sees the runs of its user and the runs of conversations (their
///   ids are unguessable, like the conversations'); any other run is `NOT_FOUND`.
/// - `GET /api/runs?status=&limit=&before=`: the key's user's runs, newest first, a page at a time;
///   `GET /api/runs/{id}/artifact?path=`: a file the run's tool left (one its result lists).
/// - `GET /api/me`: the key's user and the key's id and name (what the console signs in with).
/// - `GET /api/status`: registry and executor health for the status banner.
enum RunRoutes {
    static func register(_ router: Router<BasicRequestContext>, _ api: APIRoutes) {
        api.add(router, .get, "/api/tools") { request, _, key, services throws(OmegaError) in
            guard let query = try ConversationRoutes.query(request, "q") else {
                throw OmegaError(.invalidInput, "q: expected the search text", details: ["field": "q"])
            }
            var limit = 10
            if let text = try ConversationRoutes.query(request, "limit") {
                guard let value = Int(text), (1...100).contains(value) else {
                    throw OmegaError(
                        .invalidInput, "limit: expected an integer from 1 to 100", details: ["field": "limit"])
                }
                limit = value
            }
            let results = try services.registry.search(ToolSearchRequest(query: query, limit: limit, user: key.user))
            return .json(["query": .string(query), "results": .array(results.map(\.json))], status: 200)
        }
        api.add(router, .post, "/api/tools/:id/runs") { request, context, key, services throws(OmegaError) in
            let toolID = context.parameters.get("id") ?? ""
            let body = try await APIBody.object(request, allowed: ["input", "env", "wait"]).get()
            let input = body["input"].flatMap { $0 == .null ? nil : $0 } ?? [:]
            guard case .object = input else {
                throw OmegaError(.invalidInput, "input: expected a JSON object", details: ["field": "input"])
            }
            let env = try APIBody.strings(body, "env").get()
            var wait = true
            if let given = body["wait"], given != .null {
                guard let flag = given.boolValue else {
                    throw OmegaError(.invalidInput, "wait: expected a boolean", details: ["field": "wait"])
                }
                wait = flag
            }
            let reference = try services.registry.executionReference(toolID)
            let request = ExecutionRequest(tool: reference, input: input, env: env, user: key.user)
            let audit = services.auditQueue
            let metrics = services.metrics
            let record: @Sendable (ExecutionOutcome) -> Void = { outcome in
                metrics.runEnded(status: outcome.status, toolID: outcome.toolID.isEmpty ? toolID : outcome.toolID)
                audit.submit(
                    .toolCall, actor: AuditActor(user: key.user, keyID: key.id),
                    fields: [
                        "runId": .string(outcome.runID),
                        "toolId": .string(outcome.toolID.isEmpty ? toolID : outcome.toolID),
                        "version": .string(outcome.toolVersion), "status": .string(outcome.status.rawValue),
                        "envNames": .array(env.keys.sorted().map(JSONValue.string)), "via": "api",
                    ])
            }
            if wait {
                let outcome = await services.service.run(request)
                record(outcome)
                if outcome.succeeded { return .json(outcome.json, status: 200) }
                let error = outcome.error ?? OmegaError(.internalError, "the run ended without a result")
                return .error(error, body: outcome.json)
            }
            let created = Eventual<String>()
            let service = services.service
            Task {
                let outcome = await service.run(request) { event in
                    if event.type == .runCreated { created.settle(event.runID) }
                }
                created.settle(outcome.runID)
                record(outcome)
            }
            guard let runID = await created.value, !runID.isEmpty else {
                throw OmegaError(.internalError, "the run could not be created")
            }
            return .json(
                ["runId": .string(runID), "status": "created", "events": .string("/api/runs/\(runID)/events")],
                status: 202, headers: [.location: "/api/runs/\(runID)"])
        }
        api.add(router, .get, "/api/runs") { request, _, key, services throws(OmegaError) in
            var query = RunQuery(user: key.user, limit: 50)
            if let text = try ConversationRoutes.query(request, "status") {
                guard let status = RunStatus(rawValue: text) else {
                    let names = RunStatus.allCases.map(\.rawValue).joined(separator: ", ")
                    throw OmegaError(
                        .invalidInput, "status: expected one of \(names)", details: ["field": "status"])
                }
                query.status = status
            }
            if let text = try ConversationRoutes.query(request, "limit") {
                guard let value = Int(text), (1...200).contains(value) else {
                    throw OmegaError(
                        .invalidInput, "limit: expected an integer from 1 to 200", details: ["field": "limit"])
                }
                query.limit = value
            }
            if let text = try ConversationRoutes.query(request, "before") {
                guard let cursor = RunCursor(parsing: text) else {
                    throw OmegaError(
                        .invalidInput, "before: expected the `next` of a previous page", details: ["field": "before"])
                }
                query.before = cursor
            }
            // One more than asked: whether there is a next page.
            var page = query
            page.limit = query.limit + 1
            var runs = try services.service.runs(page)
            let more = runs.count > query.limit
            if more { runs.removeLast() }
            return .json(
                [
                    "runs": .array(runs.map(\.summaryJSON)),
                    "next": more ? .string(RunCursor(after: runs[runs.count - 1]).description) : .null,
                ], status: 200)
        }
        api.add(router, .get, "/api/runs/:id") { _, context, key, services throws(OmegaError) in
            .json(try visibleRun(context, key, services).json, status: 200)
        }
        api.add(router, .get, "/api/runs/:id/events") { request, context, key, services throws(OmegaError) in
            let detail = try visibleRun(context, key, services)
            let after = try ServerSentEvents.lastEventID(request.headers).get()
            let subscription = try services.service.events(runID: detail.record.id, after: after, follow: true)
            try ConversationRoutes.claimStream(key: key, services: services)
            let events = subscription.map {
                ServerSentEvents.Event(id: String($0.sequence), type: $0.type.rawValue, data: $0.json)
            }
            services.metrics.streamOpened()
            return ServerSentEvents.response(events) {
                services.closeStream(keyID: key.id)
                services.metrics.streamClosed()
            }
        }
        api.add(router, .get, "/api/runs/:id/artifact") { request, context, key, services throws(OmegaError) in
            let detail = try visibleRun(context, key, services)
            guard let path = try ConversationRoutes.query(request, "path"), !path.isEmpty else {
                throw OmegaError(
                    .invalidInput, "path: expected the path of one of the run's artifacts", details: ["field": "path"])
            }
            let bytes = try services.service.artifact(runID: detail.record.id, path: path)
            return Response.attachment(bytes, name: path)
        }
        api.add(router, .post, "/api/runs/:id/cancel") { request, context, key, services throws(OmegaError) in
            _ = try await APIBody.object(request, allowed: []).get()
            let detail = try visibleRun(context, key, services)
            let cancelled = try services.service.cancel(runID: detail.record.id)
            return .json(["runId": .string(detail.record.id), "cancelled": .bool(cancelled)], status: 200)
        }
        api.add(router, .get, "/api/me") { _, _, key, _ throws(OmegaError) in
            .json(["user": .string(key.user), "key": ["id": .string(key.id), "name": .string(key.name)]], status: 200)
        }
        api.add(router, .get, "/api/status") { _, _, _, services throws(OmegaError) in
            .json(status(services), status: 200)
        }
    }

    /// The run `{id}` when the key may see it; `NOT_FOUND` otherwise (the same for a run that does not
    /// exist, so ids cannot be probed).
    static func visibleRun(_ context: BasicRequestContext, _ key: APIKey, _ services: APIServices) throws(OmegaError)
        -> RunDetail
    {
        let id = context.parameters.get("id") ?? ""
        let notFound = OmegaError(.notFound, "no run \"\(OmegaError.shown(id))\"", details: ["field": "id"])
        guard RunRecord.isWellFormedID(id) else { throw notFound }
        let detail: RunDetail
        do throws(OmegaError) {
            detail = try services.service.run(id: id)
        } catch {
            if error.code == .invalidState { throw notFound }
            throw error
        }
        if detail.record.user ?? "local" == key.user { return detail }
        if (try? services.conversations.store.toolCall(runID: id)) ?? nil != nil { return detail }
        throw notFound
    }

    /// Registry and executor health: `ok` when both answer, `degraded` otherwise, with the reason.
    static func status(_ services: APIServices) -> JSONValue {
        var problems: [JSONValue] = []
        var registry: JSONValue
        do throws(OmegaError) {
            registry = try services.registry.stats()
        } catch {
            registry = ["error": .string(error.message)]
            problems.append(.string("registry: \(error.message)"))
        }
        var executor: [String: JSONValue] = [:]
        do throws(OmegaError) {
            let running = try services.service.runs(status: .running, limit: 1000).count
            let paused = try services.service.runs(status: .paused, limit: 1000).count
            executor["running"] = .integer(Int64(running))
            executor["paused"] = .integer(Int64(paused))
            executor["store"] = "ok"
        } catch {
            executor["store"] = .string(error.message)
            problems.append(.string("run store: \(error.message)"))
        }
        return [
            "status": .string(problems.isEmpty ? "ok" : "degraded"), "problems": .array(problems),
            "registry": registry, "executor": .object(executor),
            "model": services.conversations.modelIdentity.json,
        ]
    }
}
