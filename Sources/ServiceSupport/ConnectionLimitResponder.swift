import NIOCore

/// Serves a connection the listener refused for its connection limit: answers 503 with `Retry-After` at once, drops
/// what the client sends, and closes (first the sending side, so that the answer is not lost to a reset, then the
/// whole connection after a short linger).
final class ConnectionLimitResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let body = "the server is at its connection limit; try again\n"
    private static let response = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n"
        + "Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
    /// How long the refused connection keeps reading (and dropping) before it closes.
    static let lingeringTime: TimeAmount = .seconds(1)

    func channelActive(context: ChannelHandlerContext) {
        answer(context: context)
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { answer(context: context) }
    }

    private var answered = false

    private func answer(context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: Self.response)), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in
            LingeringClose.start(context, lingeringTime: Self.lingeringTime)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
