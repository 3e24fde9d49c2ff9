import NIOCore
import NIOHTTP1

/// Receives what an upstream connection produces while it serves one request.
protocol UpstreamConnectionDelegate: AnyObject {
    func upstreamReceived(_ part: UpstreamResponsePart)
    func upstreamReadComplete()
    func upstreamWritabilityChanged(isWritable: Bool)
    /// The connection closed. `untouchedReuse`: it had carried requests before and sent nothing for this one, so
    /// the request may never have reached the upstream.
    func upstreamClosed(error: (any Error)?, untouchedReuse: Bool)
}

/// The last handler of an upstream connection's pipeline: frames the responses it reads (``UpstreamResponseFramer``),
/// hands their parts to the request currently using the connection, and lets that request apply backpressure on
/// reads. Requests arrive here already framed by the proxy (``UpstreamRequestWriter``).
///
/// Confined to its channel's event loop, which is also the event loop of the client connection that uses it.
final class UpstreamConnection: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let endpointID: String
    private var framer: UpstreamResponseFramer
    /// Bytes read and not yet framed (a partial head or chunk line, or what follows a `101`).
    private var unframed = UpstreamConnection.noBytes
    weak var delegate: (any UpstreamConnectionDelegate)?
    private(set) var context: ChannelHandlerContext?
    private var readsPaused = false
    private var readPending = false
    /// Whether any response byte arrived while the current request was being served.
    private(set) var receivedResponseData = false
    /// When the connection went back to the pool (for idle expiry).
    var idleSince: NIODeadline = .now()
    /// Called when the channel closes (the pool forgets the connection).
    var onClose: ((UpstreamConnection) -> Void)?
    private var closed = false

    init(endpointID: String, maximumResponseHeadBytes: Int) {
        self.endpointID = endpointID
        self.framer = UpstreamResponseFramer(maximumHeadBytes: maximumResponseHeadBytes)
    }

    var channel: (any Channel)? { context?.channel }
    var isActive: Bool { !closed && (context?.channel.isActive ?? false) }
    var isWritable: Bool { context?.channel.isWritable ?? false }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// How many requests this connection carried before the current one (0: a fresh connection).
    private(set) var previousRequests = 0
    private var attachedBefore = false

    /// Starts serving a request: resets per-request state.
    func attach(_ delegate: any UpstreamConnectionDelegate) {
        if attachedBefore { previousRequests += 1 }
        attachedBefore = true
        self.delegate = delegate
        self.receivedResponseData = false
        self.readsPaused = false
        if readPending, let context {
            readPending = false
            context.read()
        }
    }

    func detach() {
        delegate = nil
    }

    // Requests are written without flushing: the caller flushes (through its ``FlushCoalescer``).

    /// Writes the head of a new request, already framed by the proxy (``UpstreamRequestWriter``); the response
    /// framer learns its method (a response to `HEAD` has no body).
    func write(_ head: ByteBuffer, startingRequest method: HTTPMethod) {
        guard let context else { return }
        framer.requestSent(method: method)
        context.write(wrapOutboundOut(head), promise: nil)
    }

    /// Writes request bytes (body, chunk framing).
    func write(_ bytes: ByteBuffer) {
        context?.write(wrapOutboundOut(bytes), promise: nil)
    }

    func pauseReads() {
        readsPaused = true
    }

    func resumeReads() {
        readsPaused = false
        if readPending, let context {
            readPending = false
            context.read()
        }
    }

    func close() {
        guard let context, !closed else { return }
        context.close(promise: nil)
    }

    // MARK: Channel events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        receivedResponseData = true
        var bytes = unwrapInboundIn(data)
        if unframed.readableBytes == 0 {
            unframed = bytes
        } else {
            unframed.writeBuffer(&bytes)
        }
        frameResponses(context: context)
    }

    /// Delivers every part the bytes read so far complete; keeps the rest for the next read. The bytes stay in
    /// ``unframed`` while a part is delivered: a protocol switch started by the delegate takes them from there.
    private func frameResponses(context: ChannelHandlerContext) {
        do {
            while let part = try framer.nextPart(&unframed) {
                guard let delegate else {
                    // Data on an idle pooled connection is a protocol violation: drop the connection.
                    context.close(promise: nil)
                    return
                }
                delegate.upstreamReceived(part)
            }
        } catch {
            unframed.moveReaderIndex(to: unframed.writerIndex)
            finishClosing(error: error)
            context.close(promise: nil)
            return
        }
        if unframed.readableBytes == 0 {
            // Let go of the read buffer: the channel's receive allocator reuses it only when nothing else holds it.
            unframed = Self.noBytes
        } else if delegate == nil && !framer.hasSwitchedProtocols {
            context.close(promise: nil)
        }
    }

    private static let noBytes = ByteBuffer()

    /// Removed for a protocol switch: what arrived behind the `101` belongs to the new protocol and goes on to the
    /// byte relay.
    func removeHandler(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        if unframed.readableBytes > 0 {
            let bytes = unframed
            unframed.moveReaderIndex(to: unframed.writerIndex)
            context.fireChannelRead(wrapInboundOut(bytes))
        }
        context.leavePipeline(removalToken: removalToken)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        delegate?.upstreamReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        delegate?.upstreamWritabilityChanged(isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A response delimited by the close ends here; one cut short is an error.
        var error: (any Error)?
        do {
            if let part = try framer.endOfInput(unframed) { delegate?.upstreamReceived(part) }
        } catch let framingError {
            error = framingError
        }
        finishClosing(error: error)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finishClosing(error: error)
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if readsPaused || (delegate == nil && closed) {
            readPending = true
        } else {
            context.read()
        }
    }

    private func finishClosing(error: (any Error)?) {
        guard !closed else { return }
        closed = true
        onClose?(self)
        onClose = nil
        let delegate = self.delegate
        self.delegate = nil
        delegate?.upstreamClosed(error: error, untouchedReuse: !receivedResponseData && previousRequests > 0)
    }
}
