import Egress
import EgressProxy
import Glibc
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// A resolver answering from a table; a name with several answers gives them in turn (the last one
/// repeats), which is how a rebinding name behaves.
final class TableResolver: EgressResolver {
    private let answers: Mutex<[String: [[IPAddress]]]>
    let lookups = Mutex(0)

    init(_ table: [String: [IPAddress]]) {
        answers = Mutex(table.mapValues { [$0] })
    }

    init(sequence: [String: [[IPAddress]]]) {
        answers = Mutex(sequence)
    }

    struct NotFound: Error {}

    func resolve(host: String) async throws -> [IPAddress] { try answer(host) }

    /// Answered on the spot, without the Swift concurrency pool (which a parallel test run can keep busy).
    func resolve(host: String, on loop: any EventLoop) -> EventLoopFuture<[IPAddress]> {
        do {
            return loop.makeSucceededFuture(try answer(host))
        } catch {
            return loop.makeFailedFuture(error)
        }
    }

    private func answer(_ host: String) throws -> [IPAddress] {
        lookups.withLock { $0 += 1 }
        let answer = answers.withLock { table -> [IPAddress]? in
            guard var list = table[host], !list.isEmpty else { return nil }
            let first = list[0]
            if list.count > 1 {
                list.removeFirst()
                table[host] = list
            }
            return first
        }
        guard let answer else { throw NotFound() }
        return answer
    }
}

let loopback = IPAddress.v4(0x7F00_0001)

/// The tests' address policy: 127.0.0.1 (where the test servers listen) is allowed, everything else
/// is decided by the real policy.
let allowTestLoopback: @Sendable (IPAddress) -> AddressPolicy.Refusal? = { address in
    address == loopback ? nil : AddressPolicy.refusal(for: address)
}

/// Collects the records a session reports.
final class RecordSink: Sendable {
    private let records = Mutex<[EgressConnectionRecord]>([])

    var all: [EgressConnectionRecord] { records.withLock { $0 } }

    var callback: @Sendable (EgressConnectionRecord) -> Void {
        { record in self.records.withLock { $0.append(record) } }
    }

    /// Waits (up to `seconds`) until `count` records arrived; returns them.
    func wait(for count: Int, seconds: Double = 10) async throws -> [EgressConnectionRecord] {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            let now = all
            if now.count >= count { return now }
            try await Task.sleep(for: .milliseconds(10))
        }
        return all
    }
}

/// A folder of its own for each test's sockets, removed at the end.
struct SocketDirectory: ~Copyable {
    let path: String

    init() {
        var template = Array("/tmp/egress-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        chmod(path, 0o700)
    }

    func socket(_ name: String = "egress.sock") -> String { path + "/" + name }

    deinit {
        _ = system("rm -rf '\(path)'")
    }
}

/// Grants and limits in one line.
func grant(_ rules: [String], _ configure: (inout EgressLimits) -> Void = { _ in }) throws -> EgressGrant {
    var limits = EgressLimits()
    configure(&limits)
    return EgressGrant(rules: try rules.map { try EgressRule(parsing: $0) }, limits: limits)
}

// MARK: - A client of the run's socket

/// What a test connection has received so far.
final class Received: Sendable {
    private let state = Mutex<(bytes: [UInt8], closed: Bool)>(([], false))

    func append(_ buffer: ByteBuffer) { state.withLock { $0.bytes += buffer.readableBytesView } }
    func close() { state.withLock { $0.closed = true } }
    var bytes: [UInt8] { state.withLock { $0.bytes } }
    var closed: Bool { state.withLock { $0.closed } }
}

private final class Collector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let received: Received
    /// Bytes written as soon as the connection is up, on its event loop: a parallel test run can keep the
    /// Swift concurrency pool busy for seconds, which must not delay the request the test is about.
    let initial: [UInt8]

    init(_ received: Received, initial: [UInt8] = []) {
        self.received = received
        self.initial = initial
    }

    func channelActive(context: ChannelHandlerContext) {
        if !initial.isEmpty {
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: initial)), promise: nil)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received.append(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        received.close()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// A connection to a run's socket, as the jail's relay makes it.
final class ToolConnection: Sendable {
    let channel: Channel
    let received: Received

    private init(channel: Channel, received: Received) {
        self.channel = channel
        self.received = received
    }

    /// Connects to `path` (a path too long for a socket address is reached through its folder's fd); with
    /// `halfClosure`, the proxy shutting its side does not close this one (as a tool that never closes).
    static func open(_ path: String, halfClosure: Bool = false, initial: [UInt8] = []) async throws -> ToolConnection {
        let received = Received()
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: halfClosure)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(received, initial: initial))
                }
            }
        if path.utf8.count <= 103 {
            return ToolConnection(
                channel: try await bootstrap.connect(unixDomainSocketPath: path).get(), received: received)
        }
        let slash = path.lastIndex(of: "/")!
        let folder = Glibc.open(String(path[..<slash]), 0o10_000_000 | O_DIRECTORY | O_CLOEXEC)
        precondition(folder >= 0, "open folder")
        defer { Glibc.close(folder) }
        let short = "/proc/self/fd/\(folder)/" + path[path.index(after: slash)...]
        return ToolConnection(
            channel: try await bootstrap.connect(unixDomainSocketPath: short).get(), received: received)
    }

    /// Sends `text` as UTF-8.
    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    /// Sends `bytes`.
    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).get()
    }

    /// Shuts the writing side.
    func finishSending() async throws {
        try await channel.close(mode: .output).get()
    }

    /// Waits (up to `seconds`) until what was received satisfies `done`; returns what was received.
    @discardableResult
    func read(seconds: Double = 10, until done: ([UInt8]) -> Bool) async throws -> [UInt8] {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            let bytes = received.bytes
            if done(bytes) || received.closed { return received.bytes }
            try await Task.sleep(for: .milliseconds(5))
        }
        return received.bytes
    }

    /// Waits (up to `seconds`) until `count` bytes arrived.
    func read(count: Int, seconds: Double = 10) async throws -> [UInt8] {
        try await read(seconds: seconds) { $0.count >= count }
    }

    /// Waits (up to `seconds`) for the proxy to close the connection; returns everything received.
    func readToEnd(seconds: Double = 10) async throws -> [UInt8] {
        try await read(seconds: seconds) { _ in false }
    }

    /// Sends `request` and reads until the proxy closes: the whole exchange of a refused or forwarded
    /// request.
    static func exchange(_ path: String, _ request: String, seconds: Double = 10) async throws -> String {
        let connection = try await ToolConnection.open(path, initial: Array(request.utf8))
        let bytes = try await connection.readToEnd(seconds: seconds)
        await connection.close()
        return String(decoding: bytes, as: UTF8.self)
    }

    func close() async {
        try? await channel.close()
    }
}

/// The status code of a raw HTTP response, or nil.
func statusCode(_ response: String) -> Int? {
    let parts = response.split(separator: " ", maxSplits: 2)
    guard parts.count >= 2, parts[0].hasPrefix("HTTP/1.") else { return nil }
    return Int(parts[1])
}

/// The value of header `name` in a raw HTTP response or request head.
func header(_ name: String, in message: String) -> String? {
    let head = message.components(separatedByString: "\r\n\r\n").first ?? ""
    for line in head.components(separatedByString: "\r\n").dropFirst() {
        let pieces = line.split(separator: ":", maxSplits: 1)
        if pieces.count == 2, pieces[0].lowercased() == name.lowercased() {
            return pieces[1].trimmingCharacters(in: " ")
        }
    }
    return nil
}

extension String {
    /// Splits on a separator string (no Foundation here).
    func components(separatedByString separator: String) -> [String] {
        var result: [String] = []
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            result.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        result.append(String(rest))
        return result
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
