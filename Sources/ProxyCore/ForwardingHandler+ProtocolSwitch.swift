import Logging
import NIOCore
import NIOHTTP1

extension ForwardingHandler {
    /// After the upstream's `101`: sends it to the client, then turns both pipelines into a byte relay (SPDY and
    /// WebSocket for `exec`, `attach`, `cp`, `port-forward`), with backpressure and orderly close.
    func switchProtocols(_ head: HTTPResponseHead, plan: ForwardPlan, upstream: UpstreamConnection,
                         context: ChannelHandlerContext) {
        guard let upstreamChannel = upstream.channel else { return }
        phase = .upgraded
        responseStatus = 101
        var head = head
        for (name, value) in plan.responseHeaders where name.lowercased() != "cache-control" {
            head.headers.replaceOrAdd(name: name, value: value)
        }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        logExchange()
        upstream.detach()

        let metrics = self.metrics
        metrics.upgradeStarted()
        let (clientGlue, upstreamGlue) = GlueHandler.matchedPair()
        do {
            let clientSync = context.pipeline.syncOperations
            var clientHandlers: [any RemovableChannelHandler] = [self]
            if let handler = try? clientSync.handler(type: HTTPResponseEncoder.self) { clientHandlers.append(handler) }
            try ByteRelaySwitch.switchToRelay(
                context.channel, glue: clientGlue, handlers: clientHandlers,
                decoder: try? clientSync.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self))
            let upstreamSync = upstreamChannel.pipeline.syncOperations
            var upstreamHandlers: [any RemovableChannelHandler] = [upstream]
            if let handler = try? upstreamSync.handler(type: HTTPRequestEncoder.self) { upstreamHandlers.append(handler) }
            try ByteRelaySwitch.switchToRelay(
                upstreamChannel, glue: upstreamGlue, handlers: upstreamHandlers,
                decoder: try? upstreamSync.handler(type: ByteToMessageHandler<HTTPResponseDecoder>.self))
        } catch {
            logger.error("protocol switch failed", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            upstreamChannel.close(promise: nil)
        }
        context.channel.closeFuture.and(upstreamChannel.closeFuture).whenComplete { _ in metrics.upgradeEnded() }
    }
}
