import NIOCore
import NIOPosix
import Synchronization

/// A TCP server on 127.0.0.1 for the proxy to reach in tests.
final class UpstreamServer: Sendable {
    let channel: Channel
    let port: Int
    private let log: Log

    /// What the server saw, shared with its handlers.
    final class Log: Sendable {
        let requests = Mutex<[String]>([])
        let accepted = Mutex(0)
    }

    private init(channel: Channel, log: Log) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.log = log
    }

    /// The raw requests an HTTP server received, in order.
    var requests: [String] { log.requests.withLock { $0 } }
    /// Connections accepted.
    var accepted: Int { log.accepted.withLock { $0 } }

    private enum Behaviour: Sendable {
        case echo
        case http(response: String)
        case stream(bytes: Int)
    }

    /// Echoes every byte back.
    static func echo() async throws -> UpstreamServer { try await start(.echo) }

    /// Reads one HTTP request (with a Content-Length or chunked body), records it, answers `response`
    /// and closes.
    static func http(response: String) async throws -> UpstreamServer { try await start(.http(response: response)) }

    /// On the first bytes received, sends `bytes` bytes back and keeps the connection open.
    static func stream(bytes: Int) async throws -> UpstreamServer { try await start(.stream(bytes: bytes)) }

    /// A port on 127.0.0.1 where nothing listens (bound, then closed).
    static func closedPort() async throws -> Int {
        let server = try await echo()
        let port = server.port
        await server.close()
        return port
    }

    private static func start(_ behaviour: Behaviour) async throws -> UpstreamServer {
        let log = Log()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                log.accepted.withLock { $0 += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    switch behaviour {
                    case .echo: try channel.pipeline.syncOperations.addHandler(EchoHandler())
                    case .http(let response):
                        try channel.pipeline.syncOperations.addHandler(HTTPOnceHandler(response: response, log: log))
                    case .stream(let bytes): try channel.pipeline.syncOperations.addHandler(StreamHandler(bytes: bytes))
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return UpstreamServer(channel: channel, log: log)
    }

    func close() async {
        try? await channel.close()
    }
}

private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}

private final class StreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let bytes: Int
    var sent = false

    init(bytes: Int) { self.bytes = bytes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !sent else { return }
        sent = true
        var left = bytes
        while left > 0 {
            let size = min(left, 16 << 10)
            context.write(wrapOutboundOut(context.channel.allocator.buffer(repeating: 0x61, count: size)), promise: nil)
            left -= size
        }
        context.flush()
    }
}

private final class HTTPOnceHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let response: String
    let log: UpstreamServer.Log
    var bytes: [UInt8] = []
    var done = false

    init(response: String, log: UpstreamServer.Log) {
        self.response = response
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        bytes += unwrapInboundIn(data).readableBytesView
        let text = String(decoding: bytes, as: UTF8.self)
        guard let headEnd = text.utf8.firstRange(of: "\r\n\r\n".utf8)?.upperBound else { return }
        let head = String(text[..<headEnd]).lowercased()
        let bodyCount = text.utf8.distance(from: headEnd, to: text.utf8.endIndex)
        if let length = header("content-length", in: head).flatMap({ Int($0) }) {
            guard bodyCount >= length else { return }
        } else if header("transfer-encoding", in: head) == "chunked" {
            guard text.hasSuffix("0\r\n\r\n") else { return }
        }
        done = true
        log.requests.withLock { $0.append(text) }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: response))).assumeIsolated()
            .whenComplete {
                _ in context.close(promise: nil)
            }
    }
}
