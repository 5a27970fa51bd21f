import NIOCore

/// The first handler of a tool's connection: counts the bytes of an unfinished request head against
/// `maxRequestHeadBytes` (a head still incomplete past it is answered `431`), and drops what the tool
/// sends after a refusal, or after the end of a forwarded request, instead of parsing it.
final class HeadGate: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let connection: ProxyConnection

    init(connection: ProxyConnection) { self.connection = connection }

    func channelActive(context: ChannelHandlerContext) {
        connection.clientActive()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch connection.phase {
        case .head:
            connection.headBytes += unwrapInboundIn(data).readableBytes
            context.fireChannelRead(data)
            if connection.phase == .head, connection.headBytes > connection.core.limits.maxRequestHeadBytes {
                connection.refuseHeadTooLarge()
            }
        case .refused, .finished:
            return
        case .resolving, .connecting, .forwarding:
            // Bytes after a forwarded request's end (read with it) are dropped, never parsed or kept.
            guard !connection.requestEnded else { return }
            context.fireChannelRead(data)
        case .tunnel:
            context.fireChannelRead(data)
        }
    }
}

@available(*, unavailable)
extension HeadGate: Sendable {}
