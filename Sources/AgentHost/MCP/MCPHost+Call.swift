import Foundation
import JSON
import Registry
import RunStorage
import Service
import ToolRuntime

/// `tools/call`: the built-in tools, pinned tools, and the runs behind them.
extension MCPHost {
    func toolsCall(_ context: MCPCallContext) async -> MCPReply {
        // Tracked from the first moment, so a cancellation that arrives while the catalog is read
        // (or before this request was even handled) is not lost.
        let key = InFlightCall.key(peer: context.peer, id: context.id)
        let call = InFlightCall(key: key, peerID: context.peer.id)
        let cancelledFirst = register(call)
        defer { inFlight.withLock { calls in if calls[key] === call { calls[key] = nil } } }
        if cancelledFirst { return MCPReply(message: nil, httpStatus: 202) }
        guard let name = context.params["name"]?.stringValue else {
            return .error(
                .withReason(JSONRPCError.invalidParams, "bad_params", "params.name must be a string"), id: context.id)
        }
        let arguments = context.params["arguments"].flatMap { $0 == .null ? nil : $0 } ?? [:]
        guard arguments.objectValue != nil else {
            return .error(
                .withReason(JSONRPCError.invalidParams, "bad_params", "params.arguments must be an object"),
                id: context.id)
        }
        let catalog: ToolCatalog
        do {
            catalog = try ToolCatalog(registry: registry, user: context.peer.caller.user)
        } catch {
            return .error(.withReason(JSONRPCError.internalError, "catalog_unavailable", error.message), id: context.id)
        }
        guard let tool = catalog.tool(named: name) else {
            return .error(
                .withReason(
                    JSONRPCError.invalidParams, "unknown_tool",
                    "unknown tool: \(String(name.prefix(128))) (tools/list names the tools offered; registry_execute runs any registry tool by id)"
                ), id: context.id)
        }
        let invocation: ToolInvocation
        switch tool.kind {
        case .search:
            return respond(search(context, arguments: arguments), to: context)
        case .plan:
            return respond(await plan(context, arguments: arguments), to: context)
        case .execute:
            switch ToolInvocation.execute(arguments: arguments) {
            case .failure(let problem):
                let error = OmegaError(
                    .invalidInput, "\(problem.field): \(problem.message)", details: ["field": .string(problem.field)])
                return respond(errorResult(context, error.json), to: context)
            case .success(let found): invocation = found
            }
        case .pinned(let reference, let entry):
            invocation = ToolInvocation(reference: reference, input: arguments, env: [:], pinned: entry)
        }
        if let state = context.params["requestState"], state != .null {
            return await resume(context, invocation: invocation, state: state)
        }
        let runnable: String
        do {
            runnable = try registry.executionReference(invocation.reference)
        } catch {
            return respond(errorResult(context, error.json), to: context)
        }
        let request = ExecutionRequest(
            tool: runnable, input: invocation.input, env: invocation.env, user: context.peer.caller.user)
        return await drive(context, invocation, rounds: 0) { observer in
            await self.service.run(request, observer: observer)
        }
    }

    /// Runs `body` (a new run, or a resumption) as this call: registered for cancellation, its
    /// events relayed as progress, its outcome rendered (a pause becomes an elicitation).
    func drive(
        _ context: MCPCallContext, _ invocation: ToolInvocation, rounds: Int,
        _ body: @Sendable (@escaping OmegaService.EventObserver) async -> ExecutionOutcome
    ) async -> MCPReply {
        let key = InFlightCall.key(peer: context.peer, id: context.id)
        // `toolsCall` registered the call before anything else; every run of it goes through here.
        let call = inFlight.withLock { $0[key] } ?? InFlightCall(key: key, peerID: context.peer.id)
        if call.isCancelled { return MCPReply(message: nil, httpStatus: 202) }
        var relay: ProgressRelay?
        if let token = context.progressToken, let outbound = context.peer.outbound {
            relay = ProgressRelay(token: token, outbound: outbound) { [weak self] in
                self?.cancel(requestID: context.id, of: context.peer)
            }
        }
        let service = self.service
        let outcome = await body { [relay] event in
            if call.attach(runID: event.runID) { _ = try? service.cancel(runID: event.runID) }
            relay?.yield(event)
        }
        await relay?.finish()
        if call.isCancelled { return MCPReply(message: nil, httpStatus: 202) }
        if outcome.status == .paused, let error = outcome.error, error.isPause {
            return await pause(context, invocation, outcome: outcome, error: error, rounds: rounds)
        }
        return respond(await toolResult(context, invocation, outcome), to: context)
    }

    // MARK: Results

    /// The `CallToolResult` of a finished run. Success: the output (a pinned tool's own output as
    /// `structuredContent`; `registry_execute`'s whole result). Failure: `isError` with the DESIGN §5
    /// object, the run id, and for failures another tool might avoid, alternatives (flow D). The run
    /// id and the verdict are in `_meta` either way.
    func toolResult(_ context: MCPCallContext, _ invocation: ToolInvocation, _ outcome: ExecutionOutcome) async
        -> JSONValue
    {
        var meta: [String: JSONValue] = [MCPProtocol.runIDKey: .string(outcome.runID)]
        if let verdict = outcome.verdict { meta[MCPProtocol.verdictKey] = verdict }
        guard outcome.succeeded else {
            var error = outcome.json.objectValue ?? [:]
            if let code = outcome.error?.code, ToolFailure.offersAlternatives(code) {
                error["alternatives"] = await alternatives(
                    toolID: outcome.toolID.isEmpty ? invocation.reference : outcome.toolID, code: code,
                    user: context.peer.caller.user)
            }
            return errorResult(context, .object(error), meta: meta)
        }
        let structured: JSONValue? =
            invocation.pinned != nil
            ? ((outcome.output?.objectValue != nil || context.isModern) ? outcome.output ?? .null : nil)
            : outcome.json
        let text = (structured ?? outcome.output ?? .null).jsonText
        var members: [String: JSONValue] = [
            "content": [["type": "text", "text": .string(text)]], "isError": false, "_meta": .object(meta),
        ]
        if let structured { members["structuredContent"] = structured }
        return context.result(members)
    }

    /// An `isError` result carrying `error` (a DESIGN §5 object) as text and structured content.
    func errorResult(_ context: MCPCallContext, _ error: JSONValue, meta: [String: JSONValue] = [:]) -> JSONValue {
        let code = error["details"]?["code"]?.stringValue ?? "ERROR"
        let message = error["error"]?.stringValue ?? "the call failed"
        var members: [String: JSONValue] = [
            "content": [["type": "text", "text": .string("\(code): \(message)\n\(error.jsonText)")]],
            "structuredContent": error, "isError": true,
        ]
        if !meta.isEmpty { members["_meta"] = .object(meta) }
        return context.result(members)
    }

    // MARK: registry_search

    func search(_ context: MCPCallContext, arguments: JSONValue) -> JSONValue {
        let allowed: Set<String> = ["query", "limit", "binding", "risk", "scope", "installed", "verified", "runnable"]
        if let unknown = arguments.objectValue?.keys.sorted().first(where: { !allowed.contains($0) }) {
            return errorResult(
                context,
                OmegaError(
                    .invalidInput, "\(unknown) is not an argument of registry_search",
                    details: ["field": .string(unknown)]
                ).json)
        }
        guard let query = arguments["query"]?.stringValue else {
            return errorResult(
                context, OmegaError(.invalidInput, "query: expected a string", details: ["field": "query"]).json)
        }
        var limit = 10
        if let given = arguments["limit"] {
            guard case .integer(let value) = given, (1...50).contains(value) else {
                return errorResult(
                    context,
                    OmegaError(.invalidInput, "limit: expected an integer from 1 to 50", details: ["field": "limit"])
                        .json)
            }
            limit = Int(value)
        }
        var request = ToolSearchRequest(query: query, limit: limit)
        request.user = context.peer.caller.user
        for (field, keyPath) in [("binding", \ToolSearchRequest.bindings), ("risk", \.risks), ("scope", \.scopes)] {
            if let value = arguments[field] {
                guard let text = value.stringValue else {
                    return errorResult(
                        context,
                        OmegaError(.invalidInput, "\(field): expected a string", details: ["field": .string(field)])
                            .json)
                }
                request[keyPath: keyPath] = [text]
            }
        }
        for (field, keyPath) in [
            ("installed", \ToolSearchRequest.installed), ("verified", \.verified), ("runnable", \.runnable),
        ] {
            if let value = arguments[field] {
                guard let flag = value.boolValue else {
                    return errorResult(
                        context,
                        OmegaError(.invalidInput, "\(field): expected a boolean", details: ["field": .string(field)])
                            .json)
                }
                request[keyPath: keyPath] = flag
            }
        }
        do {
            let results = try registry.search(request)
            let structured: JSONValue = ["results": .array(results.map(\.json))]
            return context.result([
                "content": [["type": "text", "text": .string(structured.jsonText)]], "structuredContent": structured,
                "isError": false,
            ])
        } catch {
            return errorResult(context, error.json)
        }
    }
}
