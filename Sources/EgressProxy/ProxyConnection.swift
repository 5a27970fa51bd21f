import Egress
import NIOCore
import NIOHTTP1
import NIOPosix

/// One connection a tool made to its run's socket, from accept to its record: reads one request head,
/// applies the grant and the address policy, connects, then tunnels or forwards, under the run's caps.
///
/// Lives on its client channel's event loop; the upstream channel is put on the same loop, so both
/// sides and every handler touch this object from that one thread (no lock). Only ``SessionCore`` is
/// shared with other threads.
final class ProxyConnection {
    /// Where the connection is in its life.
    enum Phase {
        /// Reading the request head.
        case head
        /// Resolving the granted name.
        case resolving
        /// Connecting to a resolved address.
        case connecting
        /// Relaying raw bytes both ways after `200 Connection Established`.
        case tunnel
        /// Sending a plain-HTTP request upstream and relaying the response back.
        case forwarding
        /// Refused: the response is written, the tool's bytes are drained until it closes or a short
        /// linger ends.
        case refused
        /// Closed, record reported.
        case finished
    }

    /// The most addresses of one answer tried in turn.
    static let maxAddressesTried = 8
    /// How long a refused connection is drained before it is closed: long enough for the tool to read
    /// the response instead of a reset.
    static let lingerSeconds = 2.0
    /// How long a connection refused for a connection cap is drained: a tool connecting in a loop must not
    /// hold the proxy's fds for long.
    static let capLingerSeconds = 0.25
    /// Reads of up to 256 KiB on both sides of a tunnel (NIO's default stops at 64 KiB): a bulk transfer
    /// then costs a quarter of the reads and writes, and a small exchange still starts at 16 KiB.
    static let receiveBuffers = AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16 << 10, maximum: maxReadBytes)

    let core: SessionCore
    let client: Channel
    let loop: EventLoop
    let started = NIODeadline.now()
    private(set) var phase = Phase.head

    private var id = -1
    private var counted = SessionCore.Counted.none
    private var headDeadline: NIODeadline
    /// Raw bytes received while the head was incomplete.
    var headBytes = 0

    // The record.
    private var method = ""
    private var host = ""
    private var port = 0
    private var address: String?
    private var addressRefusal: String?
    private var allowed = false
    private var reason: EgressReason?
    private var bytesUp: UInt64 = 0
    private var bytesDown: UInt64 = 0

    // Connecting and relaying.
    private var target: RequestTarget?
    private var forwardHead: HTTPRequestHead?
    private var pendingParts: [HTTPClientRequestPart] = []
    /// Whether the forwarded request's end was read: nothing more is read from the tool after it.
    private(set) var requestEnded = false
    private var upstream: Channel?
    private var clientReadPending = false
    private var upstreamReadPending = false
    private var clientInputClosed = false
    private var upstreamInputClosed = false
    private var lastClientWrite: EventLoopFuture<Void>?
    private var lastUpstreamWrite: EventLoopFuture<Void>?
    private var lastActivity = NIODeadline.now()
    private var timer: Scheduled<Void>?
    /// Set by ``end(_:drain:)``: the connection is closing, nothing more is written or refused.
    private var ending = false

    private init(core: SessionCore, client: Channel) {
        self.core = core
        self.client = client
        self.loop = client.eventLoop
        headDeadline = started + Self.amount(seconds: core.limits.idleTimeoutSeconds)
    }

    /// Sets up a newly accepted `channel` of the session `core` (on its event loop): counts it against
    /// the caps and installs the head reader, or answers `429`, or closes it when the session is closing.
    static func start(channel: Channel, core: SessionCore) throws {
        let connection = ProxyConnection(core: core, client: channel)
        let bound = NIOLoopBound(connection, eventLoop: channel.eventLoop)
        let loop = channel.eventLoop
        let admission = core.admit {
            loop.execute { bound.value.end(.runEnded, drain: false) }
        }
        switch admission {
        case .closing:
            channel.close(promise: nil)
            return
        case .admitted(let id):
            connection.id = id
            connection.counted = .open
        case .capped(let id, let answer):
            // A capped connection gets no decoder: its bytes are dropped by the gate, unparsed.
            connection.id = id
            connection.counted = answer ? .cappedAnswer : .none
            channel.closeFuture.assumeIsolated().whenComplete { _ in connection.clientClosed() }
            try channel.pipeline.syncOperations.addHandler(HeadGate(connection: connection))
            if answer {
                connection.refuse(.connectionCap, body: "omega egress: too many connections for this run")
            } else {
                connection.end(.connectionCap, drain: false)
            }
            return
        }
        channel.closeFuture.assumeIsolated().whenComplete { _ in connection.clientClosed() }
        let limit = max(core.limits.maxRequestHeadBytes, 256)
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = limit
        limits.maxHeaderListSize = limit
        limits.maxHeaderFieldCount = 512
        let decoder = HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes, limitConfiguration: limits)
        try channel.pipeline.syncOperations.addHandler(HeadGate(connection: connection))
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(decoder, maximumBufferSize: limit + Self.maxReadBytes))
        try channel.pipeline.syncOperations.addHandler(RequestHandler(connection: connection))
        connection.arm(connection.headDeadline)
    }

    /// The most bytes one read of the tool's side takes (the receive allocator's maximum). The decoder
    /// never holds more than a head and one read's worth: an upgrade or `CONNECT` stops its parsing, and
    /// what the tool sends after the head is otherwise either parsed away or never read.
    static let maxReadBytes = 256 << 10

    /// The connection is registered and active: once the run has accepted its total, the listener closes,
    /// so further connects fail in the kernel instead of each costing the proxy an fd and a refusal. (Not
    /// earlier: closing the listener while it hands this connection over would close this one too.)
    func clientActive() {
        if core.acceptedAll { client.parent?.close(promise: nil) }
    }

    // MARK: The request head

    /// The head is read: checks it, then resolves and connects, or refuses.
    func received(head: HTTPRequestHead) {
        guard phase == .head else { return }
        method = String(head.method.rawValue.prefix(32))
        let limits = core.limits
        guard ForwardedHead.estimatedSize(of: head) <= limits.maxRequestHeadBytes else {
            return refuseHeadTooLarge()
        }
        guard let target = RequestTarget.parse(method: head.method.rawValue, uri: head.uri) else {
            return refuse(
                .badRequest,
                body: "omega egress: bad request (send CONNECT host:port, or a request for an absolute http:// URL)")
        }
        host = String(target.host.prefix(255))
        port = target.port
        let shown = Self.shown(host) + ":\(port)"
        let literal = RequestTarget.literal(target.host)
        if literal.isLiteral {
            address = literal.address?.description
            return refuse(
                .ipLiteral, body: "omega egress: \(shown) is an IP address; only granted host names are reachable")
        }
        guard let name = try? EgressRule.hostName(target.host), core.grant.allows(host: name, port: target.port)
        else {
            return refuse(.notGranted, body: "omega egress: \(shown) is not granted to this tool")
        }
        guard !core.bytesExhausted else {
            return refuse(.byteCap, body: "omega egress: this run has used its network byte allowance")
        }
        if case .forward(let pathAndQuery) = target.kind {
            if let problem = ForwardedHead.refusal(of: head) {
                return refuse(.badRequest, body: "omega egress: bad request (\(problem))")
            }
            guard
                let rewritten = ForwardedHead.make(
                    from: head, host: name, port: target.port, pathAndQuery: pathAndQuery)
            else {
                return refuse(.badRequest, body: "omega egress: bad request (unsupported body framing)")
            }
            forwardHead = rewritten
        }
        self.target = target
        allowed = true
        timer?.cancel()
        resolve(name)
    }

    /// A body part or the end of a plain-HTTP request.
    func received(part: HTTPServerRequestPart) {
        guard !requestEnded, forwardHead != nil else { return }
        let outgoing: HTTPClientRequestPart
        switch part {
        case .head: return
        case .body(let buffer): outgoing = .body(.byteBuffer(buffer))
        case .end:
            requestEnded = true
            outgoing = .end(nil)
        }
        switch phase {
        case .resolving, .connecting: pendingParts.append(outgoing)
        case .forwarding: lastUpstreamWrite = upstream?.write(outgoing)
        default: return
        }
    }

    /// The request could not be parsed.
    func requestFailed(_ error: any Error) {
        switch phase {
        case .head:
            if let parserError = error as? HTTPParserError, parserError == .headerOverflow {
                refuseHeadTooLarge()
            } else if error is HTTPParserError {
                refuse(
                    .badRequest,
                    body: "omega egress: bad request (send CONNECT host:port, or a request for an absolute http:// URL)"
                )
            } else {
                end(.badRequest, drain: false)
            }
        case .resolving, .connecting, .forwarding:
            if !requestEnded || !(error is HTTPParserError) { end(.closed, drain: false) }
        case .refused, .tunnel, .finished:
            client.close(promise: nil)
        }
    }

    /// Answers `431`.
    func refuseHeadTooLarge() {
        refuse(
            .headTooLarge,
            body: "omega egress: the request head is larger than \(core.limits.maxRequestHeadBytes) bytes")
    }

    // MARK: Resolving and connecting

    private struct ResolveTimeout: Error {}

    private func resolve(_ name: String) {
        phase = .resolving
        let promise = loop.makePromise(of: [IPAddress].self)
        let core = self.core
        // The slot is held until the resolver returns, not until this connection stops waiting: a lookup
        // that never answers keeps its slot, so one session never ties up more than its share of threads.
        let loop = self.loop
        let ticket = core.whenLookupSlotFree {
            core.resolver.resolve(host: name, on: loop).whenComplete { result in
                core.lookupEnded()
                promise.completeWith(result)
            }
        }
        let timeout = loop.scheduleTask(in: Self.amount(seconds: core.limits.connectTimeoutSeconds)) {
            core.abandonLookup(ticket)
            promise.fail(ResolveTimeout())
        }
        promise.futureResult.assumeIsolated().whenComplete { result in
            timeout.cancel()
            self.resolved(result)
        }
    }

    private func resolved(_ result: Result<[IPAddress], any Error>) {
        guard phase == .resolving else { return }
        let shown = Self.shown(host)
        guard case .success(let answer) = result, !answer.isEmpty else {
            return refuse(.resolveFailed, body: "omega egress: \(shown) could not be resolved")
        }
        var seen = Set<IPAddress>()
        let addresses = answer.filter { seen.insert($0).inserted }
        // Conservative on purpose: one refused address refuses the name, even when others are public.
        // A name that mixes public and internal addresses is how rebinding and split-horizon tricks
        // look, and trying only the public ones would still let a later lookup pick the internal one.
        for candidate in addresses {
            if let refusal = core.refusal(candidate) {
                address = candidate.description
                addressRefusal = refusal.rawValue
                return refuse(
                    .addressRefused,
                    body:
                        "omega egress: \(shown) resolves to an address this proxy does not connect to (\(refusal.rawValue))"
                )
            }
        }
        phase = .connecting
        connect(Array(addresses.prefix(Self.maxAddressesTried)), index: 0)
    }

    private func connect(_ addresses: [IPAddress], index: Int) {
        guard phase == .connecting else { return }
        guard index < addresses.count else {
            return refuse(.connectFailed, body: "omega egress: could not connect to \(Self.shown(host)):\(port)")
        }
        address = addresses[index].description
        guard let socketAddress = try? SocketAddress(ipAddress: addresses[index].description, port: port) else {
            return connect(addresses, index: index + 1)
        }
        ClientBootstrap(group: loop)
            .connectTimeout(Self.amount(seconds: core.limits.connectTimeoutSeconds))
            .channelOption(ChannelOptions.autoRead, value: false)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .channelOption(ChannelOptions.recvAllocator, value: Self.receiveBuffers)
            .connect(to: socketAddress)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    if self.phase == .connecting {
                        self.connected(channel)
                    } else {
                        channel.close(promise: nil)
                    }
                case .failure:
                    self.connect(addresses, index: index + 1)
                }
            }
    }

    private func connected(_ channel: Channel) {
        upstream = channel
        channel.closeFuture.assumeIsolated().whenComplete { _ in self.upstreamClosed() }
        do {
            try channel.pipeline.syncOperations.addHandler(UpstreamRelay(connection: self))
            switch target?.kind {
            case .tunnel?:
                lastClientWrite = client.writeAndFlush(
                    client.allocator.buffer(string: "HTTP/1.1 200 Connection Established\r\n\r\n"))
                phase = .tunnel
                let pipeline = client.pipeline.syncOperations
                try pipeline.addHandler(ClientRelay(connection: self))
                let request = try pipeline.context(handlerType: RequestHandler.self)
                pipeline.removeHandler(context: request, promise: nil)
                // The decoder leaves the pipeline on the next tick, handing on the bytes the tool sent after
                // the head (to ClientRelay, outside any read, so nothing flushes them but this).
                let decoder = try pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
                let removed = loop.makePromise(of: Void.self)
                pipeline.removeHandler(context: decoder, promise: removed)
                removed.futureResult.assumeIsolated().whenComplete { _ in
                    guard self.phase == .tunnel else { return }
                    self.flushUpstream()
                    if self.clientInputClosed { self.shutDownUpstreamOutput() }
                    self.resumeClientReads()
                }
            case .forward?:
                try channel.pipeline.syncOperations.addHandler(HTTPRequestEncoder())
                phase = .forwarding
                guard let forwardHead else { return end(.closed, drain: false) }
                lastUpstreamWrite = channel.write(HTTPClientRequestPart.head(forwardHead))
                for part in pendingParts { lastUpstreamWrite = channel.write(part) }
                pendingParts = []
                channel.flush()
            case nil:
                return end(.closed, drain: false)
            }
            touch()
            arm(lastActivity + Self.amount(seconds: core.limits.idleTimeoutSeconds))
            try channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
            if phase == .forwarding { resumeClientReads() }
        } catch {
            end(.closed, drain: false)
        }
    }

    // MARK: Relaying

    /// Raw bytes from the tool, in a tunnel.
    func fromClient(_ buffer: ByteBuffer) {
        guard phase == .tunnel, let upstream else { return }
        touch()
        lastUpstreamWrite = upstream.write(buffer)
    }

    /// Bytes written upstream pass the meter: returns how many may go (fewer once the run's allowance
    /// is spent, after which the connection is cut with `byte_cap`).
    func meterUp(_ count: Int) -> Int {
        let granted = core.reserve(count)
        bytesUp += UInt64(granted)
        touch()
        return granted
    }

    /// Bytes from the server, relayed to the tool up to the run's allowance.
    func fromUpstream(_ buffer: ByteBuffer) {
        guard phase == .tunnel || phase == .forwarding else { return }
        let granted = core.reserve(buffer.readableBytes)
        bytesDown += UInt64(granted)
        touch()
        if granted == buffer.readableBytes {
            lastClientWrite = client.write(buffer)
        } else {
            if granted > 0, let slice = buffer.getSlice(at: buffer.readerIndex, length: granted) {
                client.writeAndFlush(slice, promise: nil)
            }
            end(.byteCap, drain: false)
        }
    }

    /// Flushes what was written to the tool.
    func flushClient() { client.flush() }

    /// Flushes what was written to the server.
    func flushUpstream() { upstream?.flush() }

    /// Whether the tool's side may be read now; if not, the read is remembered for when it may.
    func clientMayRead() -> Bool {
        let may: Bool
        switch phase {
        case .head, .refused: may = true
        case .resolving, .connecting, .finished: may = false
        case .tunnel: may = upstream?.isWritable ?? false
        // Nothing after the forwarded request is read: a second request or stray bytes stay in the kernel.
        case .forwarding: may = !requestEnded && upstream?.isWritable ?? false
        }
        if !may { clientReadPending = true }
        return may
    }

    /// Whether the server's side may be read now; if not, the read is remembered for when it may.
    func upstreamMayRead() -> Bool {
        let may = (phase == .tunnel || phase == .forwarding) && client.isWritable
        if !may { upstreamReadPending = true }
        return may
    }

    /// The tool's side became writable (or not).
    func clientWritabilityChanged() {
        if client.isWritable, upstreamReadPending {
            upstreamReadPending = false
            upstream?.read()
        }
    }

    /// The server's side became writable (or not).
    func upstreamWritabilityChanged() {
        if upstream?.isWritable == true { resumeClientReads() }
    }

    private func resumeClientReads() {
        if clientReadPending {
            clientReadPending = false
            client.read()
        }
    }

    /// The tool shut its writing side (EOF).
    func clientInputEnded() {
        clientInputClosed = true
        switch phase {
        case .head:
            refuse(
                .badRequest,
                body: "omega egress: bad request (send CONNECT host:port, or a request for an absolute http:// URL)")
        case .tunnel:
            shutDownUpstreamOutput()
            if upstreamInputClosed { end(.closed, drain: true) }
        case .forwarding, .resolving, .connecting:
            if !requestEnded && forwardHead != nil { end(.closed, drain: false) }
        case .refused:
            client.close(promise: nil)
        case .finished:
            return
        }
    }

    /// The server shut its writing side (EOF).
    func upstreamInputEnded() {
        upstreamInputClosed = true
        switch phase {
        case .tunnel:
            let client = self.client
            (lastClientWrite ?? loop.makeSucceededVoidFuture()).whenComplete { _ in
                client.close(mode: .output, promise: nil)
            }
            if clientInputClosed { end(.closed, drain: true) }
        case .forwarding:
            end(.closed, drain: true)
        default:
            return
        }
    }

    private func shutDownUpstreamOutput() {
        guard let upstream else { return }
        (lastUpstreamWrite ?? loop.makeSucceededVoidFuture()).whenComplete { _ in
            upstream.close(mode: .output, promise: nil)
        }
    }

    private func upstreamClosed() {
        if phase == .tunnel || phase == .forwarding { end(.closed, drain: true) }
    }

    // MARK: Ending

    /// Refuses the request: writes the response for `reason` with `body`, shuts the tool's side for
    /// writing, and drains what it still sends for a moment (much shorter for a connection cap) before
    /// closing.
    func refuse(_ reason: EgressReason, body: String) {
        guard phase != .refused, phase != .finished, !ending else { return }
        phase = .refused
        allowed = false
        self.reason = reason
        let client = self.client
        let written = client.writeAndFlush(client.allocator.buffer(string: reason.response(body: body)))
        lastClientWrite = written
        written.whenComplete { result in
            switch result {
            case .success: client.close(mode: .output, promise: nil)
            case .failure: client.close(promise: nil)
            }
        }
        let linger = reason == .connectionCap ? Self.capLingerSeconds : Self.lingerSeconds
        arm(.now() + Self.amount(seconds: min(linger, core.limits.idleTimeoutSeconds)))
    }

    /// Ends the connection for `reason` (the first reason given is the one recorded): closes both
    /// sides, after what was already written when `drain` is true, at once otherwise.
    func end(_ reason: EgressReason, drain: Bool) {
        guard phase != .finished else { return }
        ending = true
        if self.reason == nil { self.reason = reason }
        if drain {
            let client = self.client
            (lastClientWrite ?? loop.makeSucceededVoidFuture()).whenComplete { _ in client.close(promise: nil) }
            if let upstream {
                (lastUpstreamWrite ?? loop.makeSucceededVoidFuture()).whenComplete { _ in
                    upstream.close(promise: nil)
                }
            }
        } else {
            client.close(promise: nil)
            upstream?.close(promise: nil)
        }
    }

    private func clientClosed() {
        guard phase != .finished else { return }
        let wasPhase = phase
        phase = .finished
        timer?.cancel()
        timer = nil
        upstream?.close(promise: nil)
        let reason: EgressReason
        if let given = self.reason {
            reason = given
        } else if allowed {
            reason = .closed
        } else {
            reason = wasPhase == .head ? .badRequest : .closed
        }
        let elapsed = NIODeadline.now() - started
        let record = EgressConnectionRecord(
            method: method, host: host, port: port, address: address, verdict: allowed ? "allowed" : "refused",
            reason: reason.rawValue, addressRefusal: reason == .addressRefused ? addressRefusal : nil,
            bytesUp: bytesUp, bytesDown: bytesDown, durationMs: elapsed.nanoseconds / 1_000_000)
        core.finish(id: id, counted: counted, record: record)
    }

    // MARK: Timers

    private func touch() { lastActivity = .now() }

    /// Schedules the next check at `deadline` (replacing any earlier one).
    func arm(_ deadline: NIODeadline) {
        timer?.cancel()
        timer = loop.assumeIsolated().scheduleTask(deadline: deadline) { self.timerFired(deadline) }
    }

    private func timerFired(_ deadline: NIODeadline) {
        switch phase {
        case .head:
            refuse(
                .idleTimeout,
                body: "omega egress: no complete request within \(Self.seconds(core.limits.idleTimeoutSeconds)) seconds"
            )
        case .tunnel, .forwarding:
            let due = lastActivity + Self.amount(seconds: core.limits.idleTimeoutSeconds)
            if due <= .now() {
                end(.idleTimeout, drain: false)
            } else {
                arm(due)
            }
        case .refused:
            client.close(promise: nil)
        case .resolving, .connecting, .finished:
            return
        }
    }

    // MARK: Helpers

    /// `seconds` as a time amount, at least a millisecond and at most a day.
    static func amount(seconds: Double) -> TimeAmount {
        let clamped = seconds.isFinite ? min(max(seconds, 0.001), 86_400) : 86_400
        return .nanoseconds(Int64(clamped * 1_000_000_000))
    }

    /// `seconds` without a needless `.0`.
    static func seconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() && abs(seconds) < 1e9 ? String(Int(seconds)) : String(seconds)
    }

    /// The tool's host text as it may appear in a response: letters, digits, `.-:[]_` only.
    static func shown(_ host: String) -> String {
        String(
            host.unicodeScalars.prefix(255).map { scalar -> Character in
                let allowed =
                    scalar.isASCII
                    && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                        || ".-:[]_".unicodeScalars.contains(scalar))
                return allowed ? Character(scalar) : "?"
            })
    }
}
