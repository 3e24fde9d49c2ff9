import Logging
import NIOCore
import NIOHTTP1
import ServiceSupport

extension ForwardingHandler {
    /// After the upstream's `101`: sends `head` to the client, then turns both pipelines into a byte relay (SPDY
    /// and WebSocket for `exec`, `attach`, `cp`, `port-forward`), with backpressure and orderly close.
    func switchProtocols(_ head: HTTPResponseHead, upstream: UpstreamConnection, context: ChannelHandlerContext) {
        guard let upstreamChannel = upstream.channel else { return }
        var writer = ClientResponseWriter()
        writer.writeHead(head, requestMethod: .GET, context: context)
        writer.writeEnd(context: context)
        context.flush()
        upstream.detach()

        let metrics = self.metrics
        metrics.upgradeStarted()
        let (clientGlue, upstreamGlue) = GlueHandler.matchedPair()
        do {
            // What the client sent behind its upgrade request belongs to the relay.
            try ByteRelaySwitch.switchToRelay(context.channel, glue: clientGlue, handlers: [self], decoder: nil) {
                if let bytes = self.takeUndecodedBytes() { context.fireChannelRead(NIOAny(bytes)) }
            }
            // The connection handler hands the bytes behind the 101 on to the glue as it leaves.
            try ByteRelaySwitch.switchToRelay(upstreamChannel, glue: upstreamGlue, handlers: [], decoder: upstream)
        } catch {
            logger.error("protocol switch failed", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            upstreamChannel.close(promise: nil)
        }
        context.channel.closeFuture.and(upstreamChannel.closeFuture).whenComplete { _ in metrics.upgradeEnded() }
    }
}
