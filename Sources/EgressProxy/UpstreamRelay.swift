import NIOCore

/// The first handler of the server's connection: meters every byte written to the server and relays
/// every byte read from it to the tool (both against the run's byte allowance), and reads only while
/// the tool's side can take more.
final class UpstreamRelay: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private let connection: ProxyConnection

    init(connection: ProxyConnection) { self.connection = connection }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.fromUpstream(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        connection.flushClient()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            connection.upstreamInputEnded()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection.upstreamWritabilityChanged()
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .byteBuffer(let buffer) = unwrapOutboundIn(data) else {
            promise?.fail(ChannelError.operationUnsupported)
            return
        }
        let granted = connection.meterUp(buffer.readableBytes)
        if granted == buffer.readableBytes {
            context.write(data, promise: promise)
            return
        }
        if granted > 0, let slice = buffer.getSlice(at: buffer.readerIndex, length: granted) {
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(slice)), promise: nil)
        }
        promise?.fail(ChannelError.outputClosed)
        connection.end(.byteCap, drain: false)
    }

    func read(context: ChannelHandlerContext) {
        if connection.upstreamMayRead() { context.read() }
    }
}

@available(*, unavailable)
extension UpstreamRelay: Sendable {}
