import Logging
import NIOCore
import NIOHTTP1
import ServiceSupport

/// Serves one client connection by executing what its ``ExchangeStateMachine`` decides: decodes the client's bytes
/// (``ClientRequestDecoder``, no decoder handler in front), asks the policy about each request, streams it to an
/// upstream connection and the response back, and switches to a byte relay after an upstream `101`. Every rule
/// (ordering, framing, backpressure, reuse, retries, close) is the machine's; this handler only turns channel
/// events into machine events and actions into channel operations.
///
/// Confined to the client channel's event loop.
final class ForwardingHandler: ChannelDuplexHandler, RemovableChannelHandler, UpstreamConnectionDelegate {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData
    typealias Machine = ExchangeStateMachine<UpstreamConnection>

    private let policy: any RequestPolicy
    private let pool: UpstreamConnectionPool
    private let flushes: FlushCoalescer
    let metrics: ProxyMetrics
    private let accessLog: AccessLog
    let logger: Logger
    private let isTLS: Bool
    private let timeouts: ForwardingTimeouts

    private var machine: Machine
    private var decoder: ClientRequestDecoder
    /// Bytes read and not decoded yet (the start of a request head, or what follows an upgrade request).
    private var undecoded: ByteBuffer?
    /// The decoder refused the client's bytes: what follows is dropped.
    private var decodingFailed = false
    /// How many request heads the decoder produced (for the in-memory harness's invariants).
    private(set) var requestHeadsDecoded = 0
    /// Actions not executed yet; events raised while executing add to it, and the outermost call executes them.
    private var actions = Machine.Actions(initialCapacity: 8)
    private var executing = false

    private var context: ChannelHandlerContext?
    /// Encodes what this handler sends to the client.
    private var writer = ClientResponseWriter()
    private var connectionInfo = ConnectionInfo(remoteAddress: nil, isTLS: false)
    private var requestStart: ContinuousClock.Instant = .now
    /// When the connection started waiting for a request head (nil while serving one).
    private var idleSince: NIODeadline?
    /// When the request head being waited for started: the connection's start for the first one, the first bytes
    /// that did not complete a head for a later one (nil while none is under way).
    private var headStartedAt: NIODeadline?
    /// Whether the decoder delivered a request part since the last read completed.
    private var deliveredSinceReadComplete = false
    /// When the whole request reached the upstream (nil once its response started or the exchange let go of it).
    private var awaitingResponseSince: NIODeadline?
    /// The connection's one timer, scheduled no later than the earliest running clock's deadline.
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?

    /// How long a connection refused for a malformed request keeps reading (and dropping) what the client is still
    /// sending, so that the answer is not lost to a reset, before it closes (nginx's lingering close).
    static let lingeringTime: TimeAmount = .seconds(2)

    init(policy: any RequestPolicy, loop: ForwardingLoopResources, metrics: ProxyMetrics, accessLog: AccessLog,
         logger: Logger, isTLS: Bool, timeouts: ForwardingTimeouts) {
        self.timeouts = timeouts
        self.decoder = HTTPListener.makeRequestDecoder()
        self.policy = policy
        self.pool = loop.pool
        self.flushes = loop.flushes
        self.metrics = metrics
        self.accessLog = accessLog
        self.logger = logger
        self.isTLS = isTLS
        self.machine = Machine(policy: policy)
    }

    /// Applies `event` to the machine and executes the actions it produced (at once, unless already executing:
    /// then the running loop picks them up, in order).
    private func run(_ event: (inout Machine, inout Machine.Actions) -> Void) {
        event(&machine, &actions)
        guard !executing else { return }
        executing = true
        defer { executing = false }
        while let action = actions.popFirst() {
            execute(action)
        }
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        connectionInfo = ConnectionInfo(remoteAddress: context.channel.remoteAddress, isTLS: isTLS)
        let now = NIODeadline.now()
        idleSince = now
        headStartedAt = now
        scheduleTimer(at: now + min(timeouts.idle, timeouts.requestHead), context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !decodingFailed else { return }
        var bytes = unwrapInboundIn(data)
        if var held = undecoded.take() {
            held.writeBuffer(&bytes)
            bytes = held
        }
        decode(&bytes, allocator: context.channel.allocator)
        guard bytes.readableBytes > 0 else { return }
        if decoder.hasStoppedForSwitch, bytes.readableBytes > Self.maximumBytesBeforeSwitch {
            // A client speaks the new protocol only after the 101 (WebSocket and SPDY both wait for it): one that
            // keeps sending before it would otherwise fill memory while the upstream has not answered.
            logger.debug("client sent too much before the protocol switch; closing", metadata: ["bytes": "\(bytes.readableBytes)"])
            decodingFailed = true
            run { $0.clientGone(closing: true, into: &$1) }
            return
        }
        undecoded = bytes
    }

    /// The most bytes held for the relay that a client may send behind a request asking to switch protocols,
    /// before the switch.
    static let maximumBytesBeforeSwitch = 64 * 1024

    /// Hands every request part `bytes` holds in full to the machine; a decoding error after them.
    private func decode(_ bytes: inout ByteBuffer, allocator: ByteBufferAllocator) {
        do {
            while let part = try decoder.nextPart(&bytes, allocator: allocator) {
                deliveredSinceReadComplete = true
                if case .head = part { requestHeadsDecoded += 1 }
                run { $0.requestPartReceived(part, into: &$1) }
            }
        } catch {
            decodingFailed = true
            run { $0.requestMalformed(error, into: &$1) }
        }
    }

    /// The bytes read and not decoded, handed over (to the relay that takes the connection after a switch).
    func takeUndecodedBytes() -> ByteBuffer? {
        undecoded.take()
    }

    /// Bytes that did not complete a request head on a waiting connection start the request-head clock.
    func channelReadComplete(context: ChannelHandlerContext) {
        if !deliveredSinceReadComplete, headStartedAt == nil, machine.isWaitingForRequest {
            let now = NIODeadline.now()
            headStartedAt = now
            armTimer(for: now + timeouts.requestHead, context: context)
        }
        deliveredSinceReadComplete = false
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        run { $0.readRequested(into: &$1) }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let isWritable = context.channel.isWritable
        run { $0.clientWritabilityChanged(isWritable: isWritable, into: &$1) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        run { $0.clientGone(closing: false, into: &$1) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("client connection error", metadata: ["error": "\(error)"])
        run { $0.clientGone(closing: true, into: &$1) }
    }

    /// Shutdown (``ChannelShouldQuiesceEvent``, then ``HTTPListener/ShutdownDeadlineEvent``) and the client's
    /// half-close.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // A request cut short by the end of the input is malformed (answered after the requests before it).
            if !decodingFailed {
                do throws(ClientRequestError) {
                    try decoder.endOfInput()
                } catch {
                    decodingFailed = true
                    run { $0.requestMalformed(error, into: &$1) }
                }
            }
            run { $0.clientInputClosed(into: &$1) }
        } else if event is ChannelShouldQuiesceEvent {
            run { $0.quiesce(into: &$1) }
        } else if event is HTTPListener.ShutdownDeadlineEvent {
            run { $0.shutdownDeadlineReached(into: &$1) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    // MARK: Timeouts

    /// Closes the connection when it has waited for a request longer than the idle timeout (keep-alive idleness), or
    /// for a request head longer than the request-head timeout (a slow or stalled client), and answers 504 when the upstream has not started a response
    /// within the response-head timeout. Requests in progress, watches and relays are never cut. One timer per
    /// connection, rescheduled only when a clock starts with an earlier deadline than the timer's.
    private func scheduleTimer(at deadline: NIODeadline, context: ChannelHandlerContext) {
        timer?.cancel()
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in timerFired() }
    }

    private func timerFired() {
        timer = nil
        timerDeadline = nil
        guard let context else { return }
        let now = NIODeadline.now()
        if machine.isWaitingForRequest {
            let idleExpired = idleSince.map { now - $0 >= timeouts.idle } ?? false
            let headExpired = headStartedAt.map { now - $0 >= timeouts.requestHead } ?? false
            if idleExpired || headExpired {
                run { $0.idleTimedOut(into: &$1) }
                return
            }
        }
        if let since = awaitingResponseSince, now - since >= timeouts.responseHead {
            awaitingResponseSince = nil
            let timeout = timeouts.responseHead
            run { $0.responseHeadTimedOut(timeout, into: &$1) }
        }
        guard self.context != nil else { return }
        var next = now + timeouts.idle
        if let idleSince, machine.isWaitingForRequest { next = min(next, idleSince + timeouts.idle) }
        if let headStartedAt, machine.isWaitingForRequest { next = min(next, headStartedAt + timeouts.requestHead) }
        if let since = awaitingResponseSince { next = min(next, since + timeouts.responseHead) }
        scheduleTimer(at: next, context: context)
    }

    /// Starts the response-head clock.
    private func awaitResponseHead(context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        awaitingResponseSince = now
        armTimer(for: now + timeouts.responseHead, context: context)
    }

    /// Makes sure the timer fires by `deadline`.
    private func armTimer(for deadline: NIODeadline, context: ChannelHandlerContext) {
        if let timerDeadline, timerDeadline <= deadline { return }
        scheduleTimer(at: deadline, context: context)
    }

    // MARK: Upstream events (UpstreamConnectionDelegate)

    func upstreamReceived(_ part: UpstreamResponsePart) {
        run { $0.responsePartReceived(part, into: &$1) }
    }

    func upstreamReadComplete() {
        run { $0.upstreamReadComplete(into: &$1) }
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        run { $0.upstreamWritabilityChanged(isWritable: isWritable, into: &$1) }
    }

    func upstreamClosed(error: (any Error)?, untouchedReuse: Bool) {
        run { $0.upstreamClosed(error: error, untouchedReuse: untouchedReuse, into: &$1) }
    }

    // MARK: Actions

    private func execute(_ action: Machine.Action) {
        guard let context else { return }
        switch action {
        case .startClock:
            requestStart = .now
            idleSince = nil
            headStartedAt = nil
        case .decide(let head):
            decide(head, context: context)
        case .answerFromBody(let reader, let body):
            let respond = reader.respond
            Deferred.task { try await respond(body) }.start(on: context.eventLoop).assumeIsolated().whenComplete { [self] result in
                switch result {
                case .success(let response): run { $0.answered(response, into: &$1) }
                case .failure(let error): run { $0.answerFailed(error, into: &$1) }
                }
            }
        case .acquireUpstream(let endpoint, let reusable, let attempt):
            if reusable, let upstream = pool.takeIdle(endpoint) {
                run { $0.upstreamReady(upstream, attempt: attempt, into: &$1) }
                return
            }
            pool.connect(endpoint).assumeIsolated().whenComplete { [self] result in
                switch result {
                case .success(let upstream): run { $0.upstreamReady(upstream.value, attempt: attempt, into: &$1) }
                case .failure(let error): run { $0.upstreamUnreachable(error, attempt: attempt, into: &$1) }
                }
            }
        case .beginUpstreamRequest(let upstream, let method, let head):
            upstream.attach(self)
            upstream.write(head, startingRequest: method)
            noteUpstreamWritability(upstream)
        case .writeUpstream(let upstream, let bytes):
            upstream.write(bytes)
            noteUpstreamWritability(upstream)
        case .awaitResponseHead:
            awaitResponseHead(context: context)
        case .flushUpstream(let upstream):
            if let channel = upstream.channel { flushes.flushSoon(channel) }
        case .pauseUpstreamReads(let upstream):
            upstream.pauseReads()
        case .resumeUpstreamReads(let upstream):
            upstream.resumeReads()
        case .releaseUpstream(let upstream):
            awaitingResponseSince = nil
            upstream.detach()
            pool.release(upstream)
        case .closeUpstream(let upstream):
            awaitingResponseSince = nil
            upstream.detach()
            upstream.close()
        case .writeLocalResponse(let head, let body, let method):
            awaitingResponseSince = nil
            writer.writeHead(head, requestMethod: method, context: context)
            if body.readableBytes > 0 { writer.writeBody(body, context: context) }
            writer.writeEnd(context: context)
            context.flush()
        case .writeResponseHead(let head):
            awaitingResponseSince = nil
            writer.writeHead(head, context: context)
        case .writeResponseBody(let bytes):
            writer.writeBody(bytes, context: context)
        case .writeResponseEnd(let trailers):
            writer.writeEnd(trailers, context: context)
        case .flushClient:
            flushes.flushSoon(context.channel)
        case .switchProtocols(let head, let upstream):
            awaitingResponseSince = nil
            switchProtocols(head, upstream: upstream, context: context)
        case .answerMalformed(let error):
            answerMalformed(error, context: context)
        case .readClient:
            context.read()
        case .becameIdle:
            idleSince = .now()
        case .closeClient:
            // Hand unflushed writes to the socket first: a close fails them otherwise (the end of a response may
            // still be waiting for the coalesced flush).
            context.flush()
            context.close(promise: nil)
        case .record(let record):
            let duration = ContinuousClock.Instant.now - requestStart
            metrics.recordRequest(status: record.status, duration: duration)
            accessLog.record(record.head, status: record.status, user: record.user, remote: connectionInfo.remoteIP,
                             duration: duration, reason: record.refusalReason)
        case .countRefusal(let reason):
            metrics.recordRefusal(reason: reason)
        case .countUpstreamError(let kind):
            metrics.recordUpstreamError(kind: kind)
        case .warn(let warning):
            warn(warning)
        }
    }

    /// Asks the policy; a deferred decision comes back through the event loop (``Deferred``).
    private func decide(_ head: RequestHead, context: ChannelHandlerContext) {
        switch policy.decide(head, connection: connectionInfo) {
        case .immediate(let decision):
            run { $0.decided(decision, into: &$1) }
        case .deferred(let work):
            work.start(on: context.eventLoop).assumeIsolated().whenComplete { [self] result in
                switch result {
                case .success(let decision): run { $0.decided(decision, into: &$1) }
                case .failure(let error): run { $0.decisionFailed(error, into: &$1) }
                }
            }
        }
    }

    /// Writes fill the upstream's buffer: the machine stops reading the client until it drains.
    private func noteUpstreamWritability(_ upstream: UpstreamConnection) {
        if !upstream.isWritable {
            run { $0.upstreamWritabilityChanged(isWritable: false, into: &$1) }
        }
    }

    private func warn(_ warning: ExchangeWarning) {
        switch warning {
        case .policyFailed(let error):
            logger.error("request policy failed", metadata: ["error": "\(error)"])
        case .answerFailed(let error):
            logger.error("local answer failed", metadata: ["error": "\(error)"])
        case .upstreamUnreachable(let endpoint, let error):
            logger.warning("cannot reach upstream", metadata: ["upstream": "\(endpoint)", "error": "\(error)"])
        case .upstreamTimedOut(let endpoint):
            logger.warning("upstream sent no response in time", metadata: [
                "upstream": "\(endpoint)", "timeout_seconds": "\(timeouts.responseHead.nanoseconds / 1_000_000_000)",
            ])
        case .upstreamClosedEarly(let endpoint, let error):
            logger.warning("upstream closed before responding",
                           metadata: ["upstream": "\(endpoint)", "error": "\(error.map { "\($0)" } ?? "eof")"])
        case .unsafeHead(let user):
            logger.warning("refused to forward a request head that would not arrive exactly", metadata: ["user": "\(user ?? "-")"])
        }
    }

    /// Answers a request the decoder refused (400, 431 for a head over the limits, 501, 505), then closes after
    /// lingering.
    private func answerMalformed(_ error: ClientRequestError, context: ChannelHandlerContext) {
        let status = error.status
        var headers = HTTPHeaders()
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Cache-Control", value: "no-store")
        let body = ByteBuffer(string: status.reasonPhrase + "\n")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        writer.writeHead(HTTPResponseHead(version: .http1_1, status: status, headers: headers), requestMethod: .GET, context: context)
        writer.writeBody(body, context: context)
        let written = context.eventLoop.makePromise(of: Void.self)
        writer.writeEnd(context: context, promise: written)
        context.flush()
        written.futureResult.assumeIsolated().whenComplete { _ in
            LingeringClose.start(context, lingeringTime: Self.lingeringTime)
        }
    }
}

/// The upstream closed the connection before answering.
struct UpstreamClosedError: Error, CustomStringConvertible {
    var description: String { "the upstream closed the connection before answering" }
}

/// The upstream could not be reached (connection refused, timeout, TLS handshake failure).
public struct UpstreamConnectFailure: Error, CustomStringConvertible {
    /// What the connect attempt reported.
    public var underlying: any Error
    public var description: String { "cannot connect to the upstream: \(underlying)" }

    /// Creates the error.
    public init(underlying: any Error) {
        self.underlying = underlying
    }
}
