import NIOCore
import NIOHTTP1

/// The last handler of a tool's connection until it becomes a tunnel: hands the decoded request to
/// its ``ProxyConnection``, and holds reads back while the connection resolves, connects, or waits for
/// the server to take more bytes.
final class RequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let connection: ProxyConnection

    init(connection: ProxyConnection) { self.connection = connection }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .head(let head) = part {
            connection.received(head: head)
        } else {
            connection.received(part: part)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        connection.flushUpstream()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            connection.clientInputEnded()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection.clientWritabilityChanged()
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        connection.requestFailed(error)
    }

    func read(context: ChannelHandlerContext) {
        if connection.clientMayRead() { context.read() }
    }
}

@available(*, unavailable)
extension RequestHandler: Sendable {}
