import Credentials
import Foundation
import JSON
import RunStorage
import Service
import ToolRuntime

/// Pauses (DESIGN §5, §9): a run that needs credentials or a human's approval.
///
/// - 2026-07-28 clients get an `input_required` result: a URL-mode elicitation to the credential
///   page (the secret goes from the human to the vault, never through the model or a form), or a
///   form elicitation for an approval naming the tool, scopes, risk and input digest; plus a sealed
///   `requestState`. The retry that carries it resumes the run from the step that paused.
/// - 2025-11-25 clients get the same through an `elicitation/create` request on the connection.
/// - A client that cannot answer (no elicitation capability, no credential page) gets the DESIGN §5
///   object as an `isError` result, and can pass `env` on its next call.
extension MCPHost {
    /// The most pauses one call answers inline before it gives the pause back as an error.
    static let maximumInlineRounds = 4

    func pause(
        _ context: MCPCallContext, _ invocation: ToolInvocation, outcome: ExecutionOutcome, error: OmegaError,
        rounds: Int
    ) async -> MCPReply {
        let elicitation: JSONValue
        let kind: RequestState.Kind
        let elicitationID = UUID().uuidString.lowercased()
        switch error.code {
        case .missingEnvVars:
            guard context.canElicitURL,
                let page = credentialPageURL(for: outcome, error: error, user: context.peer.caller.user)
            else { return respond(await toolResult(context, invocation, outcome), to: context) }
            kind = .credentials
            elicitation = [
                "mode": "url",
                "message": .string(
                    "\(outcome.toolID) needs \(Self.missingNames(error).joined(separator: ", ")). Open the page to enter them; they go to the vault, never to the model."
                ),
                "url": .string(page),
                "elicitationId": .string(elicitationID),
            ]
        default:
            guard context.canElicitForm else {
                return respond(await toolResult(context, invocation, outcome), to: context)
            }
            kind = .approval
            elicitation = [
                "mode": "form", "message": .string(Self.approvalMessage(error)),
                "requestedSchema": ["type": "object", "properties": [:]],
            ]
        }
        if context.isModern {
            let state = RequestState(
                kind: kind, caller: context.peer.caller.principal, method: context.method,
                paramsDigest: RequestState.digest(of: context.params), runID: outcome.runID,
                expiresAtMs: Self.nowMs() + configuration.pauseLifetimeMs)
            return respond(
                context.result(
                    [
                        "inputRequests": [
                            .init(kind.rawValue): ["method": "elicitation/create", "params": elicitation]
                        ],
                        "requestState": .string(state.sealed(with: sealer)),
                    ], type: "input_required"), to: context)
        }
        // 2025-11-25: ask on the connection and continue in this call.
        guard rounds < Self.maximumInlineRounds, context.peer.outbound != nil else {
            return respond(await toolResult(context, invocation, outcome), to: context)
        }
        var params = elicitation.objectValue ?? [:]
        if kind == .approval { params["mode"] = nil }  // form is the default; older revisions know no mode
        let key = InFlightCall.key(peer: context.peer, id: context.id)
        let call = inFlight.withLock { $0[key] }
        let answer = await outboundRequests.send(
            "elicitation/create", params: .object(params), to: context.peer, tag: key,
            timeoutMs: configuration.elicitationTimeoutMs, isCancelled: { call?.isCancelled ?? false })
        if inFlight.withLock({ $0[key]?.isCancelled ?? true }) {
            // The call was cancelled (or the client left) while it was asked; the run was cancelled with it.
            return MCPReply(message: nil, httpStatus: 202)
        }
        let action = (try? answer.get())?["action"]?.stringValue
        return await answered(
            context, invocation, runID: outcome.runID, kind: kind, action: action, rounds: rounds + 1,
            elicitationID: elicitationID)
    }

    /// Acts on the answer to a pause: accept resumes the run from the step that paused (with the
    /// approval recorded as the caller's, or with the credentials the page stored); decline or
    /// cancel ends it (an approval) or gives back the DESIGN §5 object (credentials).
    func answered(
        _ context: MCPCallContext, _ invocation: ToolInvocation, runID: String, kind: RequestState.Kind,
        action: String?, rounds: Int, elicitationID: String? = nil
    ) async -> MCPReply {
        let user = context.peer.caller.user
        let env = invocation.env
        switch (kind, action) {
        case (.approval, "accept"):
            let principal = context.peer.caller.principal
            return await drive(context, invocation, rounds: rounds) { observer in
                await self.service.answer(
                    runID: runID, with: .approve(principal: principal), env: env, user: user, observer: observer)
            }
        case (.credentials, "accept"):
            // Accepting a URL elicitation means the person agreed to open the page, not that they
            // have entered the values: wait for them to land in the vault before resuming.
            if await waitForCredentials(
                runID: runID, user: user, call: InFlightCall.key(peer: context.peer, id: context.id)),
                let elicitationID, let outbound = context.peer.outbound
            {
                _ = await outbound.send(
                    JSONRPCMessage.notificationFrame(
                        "notifications/elicitation/complete", ["elicitationId": .string(elicitationID)]))
            }
            return await drive(context, invocation, rounds: rounds) { observer in
                await self.service.resume(runID: runID, env: env, user: user, observer: observer)
            }
        case (.approval, _):
            _ = try? service.cancel(runID: runID)
            let error = OmegaError(
                .policyDenied, "the user declined the call; run \(runID) was cancelled",
                details: ["runId": .string(runID), "reason": "approval declined"])
            return respond(errorResult(context, error.json, meta: [MCPProtocol.runIDKey: .string(runID)]), to: context)
        case (.credentials, _):
            let record = try? service.runner.store.run(id: runID)
            var error = record?.result ?? OmegaError.missingEnvVars([]).json
            if case .object(var members) = error {
                members["runId"] = .string(runID)
                members["status"] = "paused"
                error = .object(members)
            }
            return respond(errorResult(context, error, meta: [MCPProtocol.runIDKey: .string(runID)]), to: context)
        }
    }

    /// A retried call with its `requestState`: the state must open, be bound to this caller, method
    /// and parameters, be unexpired and unused; then the answer in `inputResponses` is acted on.
    func resume(_ context: MCPCallContext, invocation: ToolInvocation, state value: JSONValue) async -> MCPReply {
        func refuse(_ reason: String, _ message: String) -> MCPReply {
            .error(.withReason(JSONRPCError.invalidParams, reason, message), id: context.id)
        }
        guard let token = value.stringValue, let state = RequestState.open(token, with: sealer) else {
            return refuse(
                "invalid_request_state", "requestState does not verify: it was not issued by this host or was altered")
        }
        guard state.caller == context.peer.caller.principal else {
            return refuse("request_state_mismatch", "requestState was issued to another caller")
        }
        guard state.method == context.method, state.paramsDigest == RequestState.digest(of: context.params) else {
            return refuse(
                "request_state_mismatch",
                "requestState was issued for another call (the tool name and arguments must be the same)")
        }
        guard Self.nowMs() < state.expiresAtMs else {
            return refuse("request_state_expired", "requestState has expired; call the tool again")
        }
        guard let response = context.params["inputResponses"]?[state.kind.rawValue],
            let action = response["action"]?.stringValue
        else {
            return refuse(
                "missing_input_response",
                "inputResponses.\(state.kind.rawValue) must hold the elicitation's answer (action)")
        }
        do {
            guard try access.consumeState(nonce: state.nonce, expiresAtMs: state.expiresAtMs) else {
                return refuse("request_state_replayed", "requestState was already used")
            }
        } catch {
            return .error(.withReason(JSONRPCError.internalError, "ledger_unavailable", error.message), id: context.id)
        }
        return await answered(context, invocation, runID: state.runID, kind: state.kind, action: action, rounds: 0)
    }

    /// Waits until every variable the paused run misses is in the vault for `user` (entered on the
    /// credential page, or stored any other way), polling every 200 ms for at most
    /// ``MCPHostConfiguration/credentialWaitMs``; false when the wait ends without them (timeout, or
    /// the call was cancelled).
    func waitForCredentials(runID: String, user: String, call key: String) async -> Bool {
        guard let record = try? service.runner.store.run(id: runID), let result = record.result,
            let error = OmegaError(json: result), error.code == .missingEnvVars
        else { return false }
        let names = Self.missingNames(error)
        let deadline = Self.nowMs() + configuration.credentialWaitMs
        let vaultDirectory = service.home.vaultDirectory
        while true {
            if let vault = try? CredentialVault(directory: vaultDirectory),
                vault.storedNames(names, toolID: record.toolID, user: user).count == names.count
            {
                return true
            }
            let cancelled = inFlight.withLock { $0[key]?.isCancelled ?? false }
            if cancelled || Task.isCancelled || Self.nowMs() >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    // MARK: Credential page

    /// The credential page's URL for a paused run, with a ticket for exactly the names it misses.
    func credentialPageURL(for outcome: ExecutionOutcome, error: OmegaError, user: String) -> String? {
        guard let base = configuration.credentialPageBaseURL else { return nil }
        let variables = (error.details["missingVars"]?.arrayValue ?? []).compactMap {
            item -> CredentialTicket.Variable? in
            guard let name = item["name"]?.stringValue else { return nil }
            return CredentialTicket.Variable(name: name, description: item["description"]?.stringValue ?? "")
        }
        guard !variables.isEmpty else { return nil }
        let ticket = CredentialTicket(
            runID: outcome.runID, toolID: outcome.toolID, user: user, variables: variables,
            expiresAtMs: Self.nowMs() + configuration.pauseLifetimeMs)
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        return trimmed + "/credentials/" + ticket.sealed(with: sealer)
    }

    /// What the credential page shows for `ticket`, or why it cannot.
    ///
    /// - Throws: `UNAUTHORIZED` for a ticket that does not verify or has expired.
    public func credentialRequest(ticket token: String) throws(OmegaError) -> CredentialTicket {
        guard let ticket = CredentialTicket.open(token, with: sealer) else {
            throw OmegaError(.unauthorized, "this credential link is not valid")
        }
        guard Self.nowMs() < ticket.expiresAtMs else {
            throw OmegaError(.unauthorized, "this credential link has expired; ask the tool again")
        }
        return ticket
    }

    /// Stores the values entered on the credential page in the vault for the ticket's user
    /// (`user:<name>`), only for the names the ticket asks for, once per ticket.
    ///
    /// - Throws: `UNAUTHORIZED` for a bad, expired or used ticket; `INVALID_INPUT` naming the field
    ///   for a missing, unknown or unacceptable value; `INTERNAL_ERROR` when the vault fails. Nothing
    ///   is stored unless every value is acceptable.
    public func submitCredentials(ticket token: String, values: [String: String]) throws(OmegaError) -> CredentialTicket
    {
        let ticket = try credentialRequest(ticket: token)
        let asked = Set(ticket.variables.map(\.name))
        if let unknown = values.keys.sorted().first(where: { !asked.contains($0) }) {
            throw OmegaError(.invalidInput, "\(unknown) was not asked for", details: ["field": .string(unknown)])
        }
        for variable in ticket.variables {
            guard let value = values[variable.name], !value.isEmpty else {
                throw OmegaError(
                    .invalidInput, "\(variable.name): enter a value", details: ["field": .string(variable.name)])
            }
            if let problem = EnvValue.problem(with: value, secret: true) {
                throw OmegaError(
                    .invalidInput, "\(variable.name) \(problem)", details: ["field": .string(variable.name)])
            }
        }
        guard try access.consumeState(nonce: ticket.nonce, expiresAtMs: ticket.expiresAtMs) else {
            throw OmegaError(.unauthorized, "this credential link was already used")
        }
        let credentials = CredentialService(home: service.home)
        for variable in ticket.variables {
            try credentials.set(variable.name, value: values[variable.name]!, scope: .user(ticket.user))
        }
        logger.info(
            "credentials stored from the credential page",
            metadata: ["run": "\(ticket.runID)", "names": "\(ticket.variables.map(\.name).joined(separator: ","))"])
        return ticket
    }

    // MARK: Helpers

    static func missingNames(_ error: OmegaError) -> [String] {
        (error.details["missingVars"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
    }

    /// One paragraph naming the tool, its version, scopes, risk, input digest and the reason.
    static func approvalMessage(_ error: OmegaError) -> String {
        let details = error.details
        let tool = details["toolId"]?.stringValue ?? "the tool"
        let version = details["toolVersion"]?.stringValue.map { "@" + $0 } ?? ""
        let scopes = (details["scopes"]?.arrayValue ?? []).compactMap(\.stringValue)
        let risk = details["risk"]?.stringValue ?? "unknown"
        let writes = details["externalWrite"]?.boolValue == true ? " (writes outside the sandbox)" : ""
        let raw = details["inputDigest"]?.stringValue ?? "unknown"
        let digest = raw.hasPrefix("sha256:") || raw == "unknown" ? raw : "sha256:" + raw
        return """
            Approve running \(tool)\(version)? Scopes: \(scopes.isEmpty ? "none" : scopes.joined(separator: ", ")). \
            Risk: \(risk)\(writes). Input digest: \(digest). \
            Why: \(details["reason"]?.stringValue ?? "policy").
            """
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
