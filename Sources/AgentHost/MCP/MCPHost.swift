import Access
import Foundation
import JSON
import Logging
import Registry
import Service
import Synchronization
import ToolRuntime

/// The agent host's MCP core (DESIGN §9): one JSON-RPC 2.0 dispatcher behind both transports.
///
/// It serves the 2026-07-28 revision natively (no session; `_meta` carries the version and the
/// client's capabilities on every request; `server/discover`; `resultType`, `ttlMs`, `cacheScope`)
/// and 2025-11-25 (and 2025-06-18, 2025-03-26) through `initialize`. Every frame gets an answer or a
/// JSON-RPC error with a stable code, and nothing a client sends can stop the host serving others.
/// Tool calls go through the service layer, so they are runs with their events in the store, and a
/// pause lives there too: the retry that carries its sealed `requestState` resumes it from the step
/// that paused, in whichever process on the home receives it.
public final class MCPHost: Sendable {
    /// The tool runner's service.
    public let service: OmegaService
    /// The registry (search, pins).
    public let registry: RegistryService
    /// API keys and the ledger of used request states.
    public let access: KeyService
    /// The planner (the offline planner unless configured otherwise).
    public let planner: any ModelProvider
    /// The configuration.
    public let configuration: MCPHostConfiguration
    let sealer: SealedToken
    let logger: Logger
    let inFlight = Mutex<[String: InFlightCall]>([:])
    let outboundRequests = OutboundRequests()
    let sessions = Mutex<[String: LegacySession]>([:])
    /// Cancellations that arrived before their request (a 2025-11-25 client posts them separately):
    /// key → when, kept 30 s at most.
    let earlyCancellations = Mutex<[String: Date]>([:])

    /// A host over the service layer.
    ///
    /// - Parameters:
    ///   - service: Runs tool calls.
    ///   - registry: Searches and lists pins.
    ///   - access: The ledger of used request states (and API keys, for the HTTP transport).
    ///   - planner: The model provider for `plan` and for alternatives (flow D).
    ///   - configuration: Limits and the credential page.
    /// - Throws: `INTERNAL_ERROR` when the sealing key cannot be read from or created in the vault.
    public init(
        service: OmegaService, registry: RegistryService, access: KeyService, planner: (any ModelProvider)? = nil,
        configuration: MCPHostConfiguration = MCPHostConfiguration(), logger: Logger = Logger(label: "omega.mcp")
    ) throws(OmegaError) {
        self.service = service
        self.registry = registry
        self.access = access
        self.planner = planner ?? OfflinePlanner(registry: registry)
        self.configuration = configuration
        self.logger = logger
        sealer = SealedToken(key: try StateKey.load(home: service.home))
    }

    // MARK: Frames

    /// Handles one frame from `peer` and returns what to answer.
    ///
    /// Requests run to completion here (a tool call until its run completes, fails or pauses);
    /// call it concurrently for concurrent requests. A request cancelled meanwhile (its
    /// `notifications/cancelled`, or ``cancelAll(of:)``) gets no response.
    public func receive(_ frame: [UInt8], from peer: MCPPeer) async -> MCPReply {
        if frame.count > configuration.maximumFrameBytes { return oversizedFrame(bytes: frame.count) }
        switch JSONRPCMessage.decode(frame, maximumBytes: configuration.maximumFrameBytes) {
        case .failure(let refusal):
            logger.debug("refused frame", metadata: ["reason": "\(refusal.error.message)"])
            return .error(refusal.error, id: refusal.id)
        case .success(let message):
            return await receive(message, from: peer)
        }
    }

    /// Handles one decoded message (as the frame form of `receive` does after decoding).
    public func receive(_ message: JSONRPCMessage, from peer: MCPPeer) async -> MCPReply {
        switch message {
        case .request(let id, let method, let params):
            return await request(id: id, method: method, params: params, from: peer)
        case .notification(let method, let params):
            notification(method: method, params: params, from: peer)
            return .accepted
        case .response(let id, let result):
            outboundRequests.resolve(id: id, principal: peer.caller.principal, with: .success(result))
            return .accepted
        case .errorResponse(let id, let error):
            if let id { outboundRequests.resolve(id: id, principal: peer.caller.principal, with: .failure(error)) }
            return .accepted
        }
    }

    /// A frame longer than the transport's limit, seen only by its length (stdio skips it unread).
    public func oversizedFrame(bytes: Int) -> MCPReply {
        .error(.frameTooLarge(bytes: bytes, limit: configuration.maximumFrameBytes), id: nil, status: 413)
    }

    private func notification(method: String, params: JSONValue?, from peer: MCPPeer) {
        switch method {
        case "notifications/cancelled":
            guard let raw = params?["requestId"], let id = JSONRPCID(json: raw) else { return }
            cancel(requestID: id, of: peer)
        default:
            // notifications/initialized, notifications/elicitation/complete…: nothing to do.
            break
        }
    }

    private func request(id: JSONRPCID, method: String, params: JSONValue?, from peer: MCPPeer) async -> MCPReply {
        if params?.arrayValue != nil {
            return .error(.withReason(JSONRPCError.invalidParams, "bad_params", "params must be an object"), id: id)
        }
        if method == "initialize" { return initialize(id: id, params: params ?? [:], from: peer) }
        let context: MCPCallContext
        switch envelope(id: id, method: method, params: params ?? [:], from: peer) {
        case .failure(let refusal): return refusal
        case .success(let found): context = found
        }
        switch method {
        case "ping":
            return respond(context.result([:]), to: context)
        case "server/discover":
            guard context.isModern else { return unknownMethod(method, id: id) }
            return respond(discoverResult(context), to: context)
        case "tools/list":
            return respond(toolsList(context), to: context)
        case "tools/call":
            return await toolsCall(context)
        default:
            return unknownMethod(method, id: id)
        }
    }

    private func unknownMethod(_ method: String, id: JSONRPCID) -> MCPReply {
        .error(
            .withReason(
                JSONRPCError.methodNotFound, "unknown_method",
                "method not found: \(String(method.prefix(64))); served: server/discover, initialize, ping, tools/list, tools/call"
            ), id: id)
    }

    /// Wraps a result (or a JSON-RPC error) into the reply.
    func respond(_ result: Result<JSONValue, JSONRPCError>, to context: MCPCallContext) -> MCPReply {
        switch result {
        case .success(let value): return respond(value, to: context)
        case .failure(let error): return .error(error, id: context.id)
        }
    }

    func respond(_ result: JSONValue, to context: MCPCallContext) -> MCPReply {
        MCPReply(message: JSONRPCMessage.result(result, id: context.id), httpStatus: 200)
    }

    // MARK: Lifecycle

    /// Cancels every call `peer` has in flight (its stream closed, its stdin ended).
    public func cancelAll(of peer: MCPPeer) {
        let calls = inFlight.withLock { calls in calls.values.filter { $0.peerID == peer.id } }
        for call in calls { cancel(call) }
        outboundRequests.abandon(principal: nil, peerID: peer.id)
    }

    /// Cancels the call `requestID` of `peer`: its run is cancelled and its jail killed. A cancellation
    /// for a call not seen yet (a 2025-11-25 client posts it separately, so it may overtake its call)
    /// is kept for 30 s and applied when the call arrives; 2026-07-28 HTTP clients cancel by closing
    /// the stream instead, so their stray notifications are ignored.
    public func cancel(requestID: JSONRPCID, of peer: MCPPeer) {
        let key = InFlightCall.key(peer: peer, id: requestID)
        let canArriveLater = peer.callScope != peer.id || peer.headers == nil
        let now = Date()
        // One lock order (calls, then early cancellations) here and in `register`, so a call and its
        // cancellation cannot pass each other.
        let call = inFlight.withLock { calls -> InFlightCall? in
            if let call = calls[key] { return call }
            if canArriveLater {
                earlyCancellations.withLock { early in
                    if early.count >= 1_000 { early = early.filter { now.timeIntervalSince($0.value) < 30 } }
                    if early.count < 1_000 { early[key] = now }
                }
            }
            return nil
        }
        if let call { cancel(call) }
    }

    /// Registers a call as in flight; true when its cancellation arrived first (it is cancelled).
    func register(_ call: InFlightCall) -> Bool {
        let now = Date()
        return inFlight.withLock { calls in
            calls[call.key] = call
            guard let when = earlyCancellations.withLock({ $0.removeValue(forKey: call.key) }) else { return false }
            if now.timeIntervalSince(when) < 30 { _ = call.markCancelled() }
            return call.isCancelled
        }
    }

    private func cancel(_ call: InFlightCall) {
        let runID = call.markCancelled()
        outboundRequests.abandon(principal: nil, peerID: nil, tag: call.key)
        if let runID { _ = try? service.cancel(runID: runID) }
    }

    /// Cancels every running call and waits for the runs to end (SIGTERM, shutdown): each run is
    /// recorded as cancelled, nothing already recorded is lost.
    public func shutdown() async {
        let calls = inFlight.withLock { Array($0.values) }
        for call in calls { cancel(call) }
        outboundRequests.abandon(principal: nil, peerID: nil)
        await service.cancelAll()
        service.drain()
    }
}

extension MCPHost {
    /// The host over the appliance's home as configured by the environment (`OMEGA_HOME`, …): the
    /// service, the registry (with tool health from the run store) and the access store, wired once
    /// for every transport.
    ///
    /// - Throws: `INTERNAL_ERROR` when the home, a store or the vault cannot be opened.
    public static func open(
        configuration: RuntimeConfiguration = .fromEnvironment(), host: MCPHostConfiguration,
        logger: Logger = Logger(label: "omega.mcp")
    ) throws(OmegaError) -> MCPHost {
        let service = try OmegaService(configuration: configuration, logger: logger)
        let registry = try RegistryService(configuration: configuration, runStore: service.runner.store, logger: logger)
        let access = try KeyService(home: configuration.home)
        return try MCPHost(service: service, registry: registry, access: access, configuration: host, logger: logger)
    }
}
