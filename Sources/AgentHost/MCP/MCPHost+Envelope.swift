import Foundation
import JSON

/// Which revision a request speaks, and whether its envelope holds: the 2026-07-28 ladder (the
/// `_meta` pair, the HTTP headers against the body, the version) and 2025-11-25 sessions.
extension MCPHost {
    /// The context of a request, or the reply that refuses it.
    func envelope(id: JSONRPCID, method: String, params: JSONValue, from peer: MCPPeer) -> Result<
        MCPCallContext, MCPReply
    > {
        let meta = params["_meta"]
        if let meta, meta.objectValue == nil {
            return .failure(.error(missingEnvelope("params._meta must be an object"), id: id))
        }
        if meta?[MCPProtocol.protocolVersionKey] != nil || meta?[MCPProtocol.clientCapabilitiesKey] != nil {
            return modernEnvelope(id: id, method: method, params: params, meta: meta ?? [:], from: peer)
        }
        // A 2025-11-25 session: on stdio the one `initialize` opened, over HTTP the one named by
        // `Mcp-Session-Id` (owned by the same caller).
        if let headers = peer.headers {
            if let sessionID = headers["mcp-session-id"] {
                let now = Self.nowMs()
                let found = sessions.withLock { sessions -> LegacySession? in
                    guard var session = sessions[sessionID], session.principal == peer.caller.principal,
                        now - session.lastUsedMs < Self.sessionIdleMs
                    else { return nil }
                    session.lastUsedMs = now
                    sessions[sessionID] = session
                    return session
                }
                guard let session = found else {
                    return .failure(
                        .error(
                            .withReason(
                                JSONRPCError.invalidRequest, "unknown_session",
                                "no session \(String(sessionID.prefix(64))); send initialize again"),
                            id: id, status: 404))
                }
                if let version = headers["mcp-protocol-version"], version != session.version {
                    return .failure(
                        .error(
                            .withReason(
                                JSONRPCError.headerMismatch, "header_mismatch",
                                "MCP-Protocol-Version \(String(version.prefix(32))) is not the session's \(session.version)"
                            ), id: id))
                }
                return .success(legacyContext(id: id, method: method, params: params, session: session, from: peer))
            }
        } else if let session = peer.stdioSession.withLock({ $0 }) {
            return .success(legacyContext(id: id, method: method, params: params, session: session, from: peer))
        }
        if method == "ping" {
            return .success(
                MCPCallContext(
                    peer: peer, id: id, method: method, params: params, modernVersion: nil, capabilities: [:],
                    progressToken: nil))
        }
        return .failure(
            .error(
                missingEnvelope(
                    "params._meta must carry \(MCPProtocol.protocolVersionKey) and \(MCPProtocol.clientCapabilitiesKey) (2026-07-28), or send initialize first (2025-11-25)"
                ), id: id))
    }

    private func missingEnvelope(_ message: String) -> JSONRPCError {
        .withReason(JSONRPCError.invalidParams, "missing_envelope", message)
    }

    private func legacyContext(
        id: JSONRPCID, method: String, params: JSONValue, session: LegacySession, from peer: MCPPeer
    ) -> MCPCallContext {
        MCPCallContext(
            peer: peer, id: id, method: method, params: params, modernVersion: nil,
            capabilities: session.capabilities, progressToken: params["_meta"]?["progressToken"])
    }

    /// The 2026-07-28 ladder, first failure wins: the envelope pair (-32602), the HTTP headers
    /// against the body (-32020), the version's type (-32602) and whether it is served (-32022).
    private func modernEnvelope(
        id: JSONRPCID, method: String, params: JSONValue, meta: JSONValue, from peer: MCPPeer
    ) -> Result<MCPCallContext, MCPReply> {
        let missing = [MCPProtocol.protocolVersionKey, MCPProtocol.clientCapabilitiesKey].filter { meta[$0] == nil }
        guard missing.isEmpty else {
            return .failure(
                .error(missingEnvelope("params._meta is missing \(missing.joined(separator: ", "))"), id: id))
        }
        let version = meta[MCPProtocol.protocolVersionKey]!
        if let headers = peer.headers {
            if headers["mcp-protocol-version"].map(JSONValue.string) != version {
                return .failure(
                    .error(mismatch("MCP-Protocol-Version header does not match _meta's protocol version"), id: id))
            }
            if let header = headers["mcp-method"], header != method {
                return .failure(.error(mismatch("Mcp-Method header does not match the method"), id: id))
            }
            if method == "tools/call", let header = headers["mcp-name"], let name = params["name"]?.stringValue,
                Self.decodeHeaderValue(header) != name
            {
                return .failure(.error(mismatch("Mcp-Name header does not match params.name"), id: id))
            }
        }
        guard case .string(let versionText) = version else {
            return .failure(
                .error(
                    .withReason(JSONRPCError.invalidParams, "bad_envelope", "the protocol version must be a string"),
                    id: id))
        }
        guard MCPProtocol.modernVersions.contains(versionText) else {
            return .failure(
                .error(
                    JSONRPCError(
                        JSONRPCError.unsupportedProtocolVersion, "Unsupported protocol version",
                        data: [
                            "supported": .array(MCPProtocol.supportedVersions.map { .string($0) }),
                            "requested": .string(String(versionText.prefix(64))),
                        ]), id: id))
        }
        let capabilities = meta[MCPProtocol.clientCapabilitiesKey]!
        guard capabilities.objectValue != nil else {
            return .failure(
                .error(
                    .withReason(
                        JSONRPCError.invalidParams, "bad_envelope", "the client capabilities must be an object"),
                    id: id))
        }
        return .success(
            MCPCallContext(
                peer: peer, id: id, method: method, params: params, modernVersion: versionText,
                capabilities: capabilities, progressToken: meta["progressToken"]))
    }

    private func mismatch(_ message: String) -> JSONRPCError {
        .withReason(JSONRPCError.headerMismatch, "header_mismatch", message)
    }

    /// A header value as MCP encodes non-ASCII ones (`=?base64?…?=`); nil when the sentinel is malformed.
    static func decodeHeaderValue(_ value: String) -> String? {
        guard value.hasPrefix("=?base64?"), value.hasSuffix("?="), value.count >= 11 else { return value }
        let payload = String(value.dropFirst(9).dropLast(2))
        guard let bytes = ByteEncoding.base64Decode(payload) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    // MARK: Handshake and discovery

    /// `initialize` (2025-11-25 and older): settles the version (the client's when served, else the
    /// newest handshake revision) and keeps the client's capabilities for the session.
    func initialize(id: JSONRPCID, params: JSONValue, from peer: MCPPeer) -> MCPReply {
        guard let requested = params["protocolVersion"]?.stringValue else {
            return .error(
                .withReason(
                    JSONRPCError.invalidParams, "bad_params", "initialize needs params.protocolVersion (a string)"),
                id: id)
        }
        let capabilities = params["capabilities"] ?? [:]
        guard capabilities.objectValue != nil else {
            return .error(
                .withReason(JSONRPCError.invalidParams, "bad_params", "params.capabilities must be an object"), id: id)
        }
        let version =
            MCPProtocol.handshakeVersions.contains(requested) ? requested : MCPProtocol.handshakeVersions[0]
        let session = LegacySession(
            version: version, capabilities: Self.retainedCapabilities(capabilities), principal: peer.caller.principal,
            lastUsedMs: Self.nowMs())
        var sessionID: String?
        if peer.headers != nil {
            let id = UUID().uuidString.lowercased()
            sessions.withLock { sessions in Self.admit(session, id: id, into: &sessions) }
            sessionID = id
        } else {
            peer.stdioSession.withLock { $0 = session }
        }
        let result: JSONValue = [
            "protocolVersion": .string(version),
            "capabilities": ["tools": ["listChanged": false]],
            "serverInfo": serverInfo,
            "instructions": .string(Self.instructions),
        ]
        return MCPReply(message: JSONRPCMessage.result(result, id: id), httpStatus: 200, sessionID: sessionID)
    }

    /// A session idle this long is gone (the client initializes again).
    static let sessionIdleMs: Int64 = 60 * 60 * 1000
    /// Sessions one principal may hold; a new one replaces its least recently used.
    static let sessionsPerPrincipal = 32
    /// Sessions in all; a new one replaces the least recently used.
    static let maximumSessions = 10_000

    /// Adds a session within the limits: idle sessions are dropped, then the principal's own least
    /// recently used one when it holds too many, then the least recently used of all — so one caller
    /// can never push out another's sessions while it holds fewer than the per-principal limit.
    static func admit(_ session: LegacySession, id: String, into sessions: inout [String: LegacySession]) {
        let now = session.lastUsedMs
        if sessions.count >= sessionsPerPrincipal {
            sessions = sessions.filter { now - $0.value.lastUsedMs < sessionIdleMs }
        }
        let own = sessions.filter { $0.value.principal == session.principal }
        if own.count >= sessionsPerPrincipal, let oldest = own.min(by: { $0.value.lastUsedMs < $1.value.lastUsedMs }) {
            sessions[oldest.key] = nil
        }
        if sessions.count >= maximumSessions,
            let oldest = sessions.min(by: { $0.value.lastUsedMs < $1.value.lastUsedMs })
        {
            sessions[oldest.key] = nil
        }
        sessions[id] = session
    }

    /// What the host keeps of a client's declared capabilities: only whether it can answer form and
    /// URL elicitations (a few bytes, however large the declaration was).
    static func retainedCapabilities(_ capabilities: JSONValue) -> JSONValue {
        guard case .object(let elicitation)? = capabilities["elicitation"] else { return [:] }
        var kept: [String: JSONValue] = [:]
        if elicitation["form"] != nil { kept["form"] = [:] }
        if elicitation["url"] != nil { kept["url"] = [:] }
        if elicitation.isEmpty { return ["elicitation": [:]] }
        return ["elicitation": .object(kept)]
    }

    /// `server/discover` (2026-07-28).
    func discoverResult(_ context: MCPCallContext) -> JSONValue {
        context.result(
            [
                "supportedVersions": .array(MCPProtocol.supportedVersions.map { .string($0) }),
                "capabilities": ["tools": ["listChanged": false]],
                "instructions": .string(Self.instructions),
                "_meta": [MCPProtocol.serverInfoKey: serverInfo],
            ], cache: (ttlMs: 3_600_000, scope: "public"))
    }

    var serverInfo: JSONValue {
        [
            "name": .string(configuration.serverName), "title": "Omega Exec",
            "version": .string(configuration.serverVersion),
        ]
    }

    static let instructions = """
        Omega Exec runs tool packages in a sandbox. Use registry_search to find a tool for a task, \
        plan to get a step-by-step plan, and registry_execute to run a tool by id with its input \
        (pass credentials only through the env field or the credential page, never in the input). \
        Pinned tools are also offered under their own names. A run that needs credentials or a \
        human's approval pauses and asks through elicitation; results carry the run id and the \
        sandbox's verdict.
        """
}
