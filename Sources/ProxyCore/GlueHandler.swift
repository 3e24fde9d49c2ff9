import NIOCore

/// Relays bytes between two channels on the same event loop after a protocol switch, with backpressure: a side
/// stops reading while its partner cannot take more writes.
///
/// The pattern of SwiftNIO's connect-proxy example. Closing either side closes the other; a half-close is passed on.
final class GlueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    private init() {}

    /// Two handlers that relay to each other: one for each channel.
    static func matchedPair() -> (GlueHandler, GlueHandler) {
        let first = GlueHandler()
        let second = GlueHandler()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    private func partnerWrite(_ data: NIOAny) {
        context?.write(data, promise: nil)
    }

    private func partnerFlush() {
        context?.flush()
    }

    /// The partner's peer finished sending: finish our writes, then half-close (or close, where the transport
    /// cannot half-close, as with TLS).
    private func partnerWriteEOF() {
        afterPendingWrites { context in
            context.close(mode: .output).assumeIsolated().whenFailure { _ in context.close(promise: nil) }
        }
    }

    /// The partner closed: deliver what was already relayed, then close. Closing at once would drop writes still
    /// queued in this channel (the end of an exec session's output, its exit status).
    private func partnerCloseFull() {
        afterPendingWrites { context in context.close(promise: nil) }
    }

    private func afterPendingWrites(_ action: @escaping (ChannelHandlerContext) -> Void) {
        guard let context else { return }
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).assumeIsolated().whenComplete { _ in action(context) }
    }

    private func partnerBecameWritable() {
        if pendingRead {
            pendingRead = false
            context?.read()
        }
    }

    private var partnerWritable: Bool {
        context?.channel.isWritable ?? false
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.partnerWrite(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.partnerFlush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.partnerCloseFull()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            partner?.partnerWriteEOF()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            partner?.partnerBecameWritable()
        }
    }

    func read(context: ChannelHandlerContext) {
        if let partner, partner.partnerWritable {
            context.read()
        } else {
            pendingRead = true
        }
    }
}

/// Turns an HTTP pipeline into a byte relay.
enum ByteRelaySwitch {
    /// Adds `glue` at the end of the channel's pipeline, calls `glueAdded` (which may pass bytes a handler holds on
    /// to it), then removes `handlers` and finally `decoder`, so that bytes the decoder still holds are passed on
    /// to the glue. Must run on the channel's event loop.
    static func switchToRelay(_ channel: any Channel, glue: GlueHandler, handlers: [any RemovableChannelHandler],
                              decoder: (any RemovableChannelHandler)?, glueAdded: () -> Void = {}) throws {
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(glue)
        glueAdded()
        for handler in handlers {
            sync.removeHandler(handler, promise: nil)
        }
        if let decoder {
            sync.removeHandler(decoder, promise: nil)
        }
        channel.read()
    }
}
