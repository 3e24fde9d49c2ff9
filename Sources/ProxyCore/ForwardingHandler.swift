import Logging
import NIOCore
import NIOHTTP1
import ServiceSupport

/// Serves one client connection: asks the policy about each request, then streams it to the upstream and the
/// response back, with backpressure both ways; switches to a byte relay after an upstream `101`.
///
/// Confined to the client channel's event loop. One exchange runs at a time; requests a client pipelines behind it
/// are queued (one read's worth at most) and served in order.
final class ForwardingHandler: ChannelDuplexHandler, RemovableChannelHandler, UpstreamConnectionDelegate {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    enum Phase {
        /// Waiting for a request head.
        case idle
        /// The policy is deciding; body parts are held.
        case deciding
        /// Reading the request body for a local answer.
        case readingBody(BodyReader)
        /// Answered locally; the rest of the request body is dropped.
        case respondedLocally
        /// Connecting to the upstream; body parts are held.
        case connecting
        /// Request and response are streaming through `upstream`.
        case forwarding(UpstreamConnection)
        /// Bytes are relayed both ways; this handler is on its way out.
        case upgraded
        /// The connection is closing.
        case closed
    }

    private let policy: any RequestPolicy
    private let pool: UpstreamConnectionPool
    private let flushes: FlushCoalescer
    let metrics: ProxyMetrics
    private let accessLog: AccessLog
    let logger: Logger
    private let isTLS: Bool
    private let idleTimeout: TimeAmount
    private var idleSince: NIODeadline?
    private var idleCheck: Scheduled<Void>?

    private var context: ChannelHandlerContext?
    /// Encodes what this handler sends to the client.
    var writer = ClientResponseWriter()
    var phase: Phase = .idle
    private var connectionInfo = ConnectionInfo(remoteAddress: nil, isTLS: false)

    // The request being served.
    private var requestHead: HTTPRequestHead?
    /// The policy's plan once the request is being forwarded (kept out of `phase`, which is matched on every part).
    private var forwardPlan: ForwardPlan?
    private var requestStart: ContinuousClock.Instant = .now
    private var requestComplete = false
    /// How the client framed the request body; the proxy frames it the same way upstream.
    private var requestFraming = RequestBodyFraming.none
    private var heldParts: [HTTPServerRequestPart] = []
    private var collectedBody: ByteBuffer?
    private var isUpgradeRequest = false
    private var keepAliveWithClient = true
    private var logUser: String?
    private var refusalReason: String?

    // The response being sent.
    var responseStatus: Int = 0
    private var responseStarted = false
    private var responseComplete = false
    private var upstreamKeepAlive = true
    var pendingSwitchHead: UpstreamResponseHead?

    private var requestHadBody = false
    private var retriedStaleConnection = false

    /// What the client sent behind the current request: parts of pipelined requests, and the decoder's error when
    /// bytes behind them were not a request. Served in order once the current exchange ends.
    private var pipelined = CircularBuffer<PipelinedInput>()
    private var quiescing = false
    /// The client shut down its sending side (half-close): answer what it sent, then close.
    private var clientInputEnded = false

    enum PipelinedInput {
        case part(HTTPServerRequestPart)
        case malformed(ClientRequestError)
    }

    /// How long a connection refused for a malformed request keeps reading (and dropping) what the client is still
    /// sending, so that the answer is not lost to a reset, before it closes (nginx's lingering close).
    static let lingeringTime: TimeAmount = .seconds(2)

    // Backpressure on client reads.
    private var readPending = false
    private var waitingForUpstreamWritability = false

    init(policy: any RequestPolicy, loop: ForwardingLoopResources, metrics: ProxyMetrics, accessLog: AccessLog,
         logger: Logger, isTLS: Bool, idleTimeout: TimeAmount) {
        self.idleTimeout = idleTimeout
        self.policy = policy
        self.pool = loop.pool
        self.flushes = loop.flushes
        self.metrics = metrics
        self.accessLog = accessLog
        self.logger = logger
        self.isTLS = isTLS
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        connectionInfo = ConnectionInfo(remoteAddress: context.channel.remoteAddress, isTLS: isTLS)
        idleSince = .now()
        scheduleIdleCheck(in: idleTimeout, context: context)
    }

    /// Closes the connection when it has waited for a request head longer than `idleTimeout` (keep-alive idleness,
    /// or a client trickling its headers). Requests in progress, watches and relays are never cut.
    private func scheduleIdleCheck(in delay: TimeAmount, context: ChannelHandlerContext) {
        idleCheck = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            guard let context = self.context else { return }
            guard case .idle = phase, let idleSince else {
                scheduleIdleCheck(in: idleTimeout, context: context)
                return
            }
            let waited = NIODeadline.now() - idleSince
            if waited >= idleTimeout {
                phase = .closed
                closeAfterFlushing(context)
            } else {
                scheduleIdleCheck(in: idleTimeout - waited, context: context)
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        self.context = nil
    }

    // MARK: Client → proxy

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        // A pipelined request (sent before the previous response finished) waits until the exchange ends.
        if !pipelined.isEmpty || (requestComplete && !isIdle) {
            if case .closed = phase { return }
            pipelined.append(.part(part))
            return
        }
        handle(part, context: context)
    }

    private var isIdle: Bool {
        if case .idle = phase { return true }
        return false
    }

    private var isRespondedLocally: Bool {
        if case .respondedLocally = phase { return true }
        return false
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            startRequest(head, context: context)
        case .body, .end(nil):
            if case .end = part { requestComplete = true } else { requestHadBody = true }
            switch phase {
            case .deciding, .connecting:
                heldParts.append(part)
            case .forwarding(let upstream):
                sendUpstream(part, to: upstream)
                if let channel = upstream.channel { flushes.flushSoon(channel) }
                if requestComplete { maybeFinishExchange() }
            case .readingBody(let reader):
                collectBody(part, reader: reader, context: context)
            case .respondedLocally:
                if requestComplete { maybeFinishExchange() }
            case .idle, .upgraded, .closed:
                break
            }
        case .end(.some(let trailers)):
            // Request trailers never reach an upstream: dropped, or the request refused when they carry a header
            // the head may not carry either.
            if !isRespondedLocally, let refusal = trailers.lazy.compactMap({ RequestScreen.refusalForTrailer(named: $0.name) }).first {
                requestComplete = true
                abandonRequest(refusal)
                return
            }
            handle(.end(nil), context: context)
        }
    }

    func read(context: ChannelHandlerContext) {
        if readsPaused {
            readPending = true
        } else {
            context.read()
        }
    }

    private var readsPaused: Bool {
        // Hold at most one read's worth of pipelined requests.
        if !pipelined.isEmpty { return true }
        switch phase {
        case .deciding, .connecting: return true
        case .forwarding: return waitingForUpstreamWritability
        case .idle, .readingBody, .respondedLocally, .upgraded, .closed: return false
        }
    }

    private func resumeReadsIfPossible() {
        guard readPending, !readsPaused, let context else { return }
        readPending = false
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .forwarding(let upstream) = phase {
            if context.channel.isWritable { upstream.resumeReads() } else { upstream.pauseReads() }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        abortExchange()
        phase = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is ByteToMessageDecoderError {
            // Bytes that arrived after a decoding error, which was answered or queued already.
            return
        }
        if let error = error as? ClientRequestError {
            malformedInput(error, context: context)
            return
        }
        logger.debug("client connection error", metadata: ["error": "\(error)"])
        abortExchange()
        phase = .closed
        context.close(promise: nil)
    }

    /// The decoder found bytes that are not a valid request: requests before them are answered first, in order; a
    /// request cut short by them is abandoned.
    ///
    /// `replayed`: the error comes out of the pipelined queue, whose earlier entries have been served.
    private func malformedInput(_ error: ClientRequestError, context: ChannelHandlerContext, replayed: Bool = false) {
        switch phase {
        case .closed, .upgraded:
            return
        case .idle where replayed || pipelined.isEmpty:
            answerMalformed(error, context: context)
        default:
            if !replayed && (!pipelined.isEmpty || requestComplete) {
                // Nothing valid follows a decoding error: one queued error is enough.
                if case .malformed = pipelined.last { return }
                pipelined.append(.malformed(error))
            } else {
                requestComplete = true
                abandonRequest(ClientRequestRefusal(status: error.status, reason: error.reason,
                                                    message: "the request is malformed"))
            }
        }
    }

    /// Answers a request the decoder refused (400, 431 for a head over the limits, 501, 505), then closes after
    /// lingering.
    private func answerMalformed(_ error: ClientRequestError, context: ChannelHandlerContext) {
        let status = error.status
        metrics.recordRefusal(reason: error.reason)
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
        phase = .closed
        pipelined.removeAll()
        written.futureResult.assumeIsolated().whenComplete { _ in Self.closeAfterLingering(context) }
    }

    /// Shuts down the sending side, drops what the client still sends for at most ``lingeringTime``, then closes:
    /// a close with unread input would reset the connection and could destroy the answer before the client read it.
    private static func closeAfterLingering(_ context: ChannelHandlerContext) {
        let outputClosed = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .output, promise: outputClosed)
        outputClosed.futureResult.assumeIsolated().whenFailure { _ in context.close(promise: nil) }
        context.eventLoop.assumeIsolated().scheduleTask(in: lingeringTime) { context.close(promise: nil) }
    }

    // MARK: Deciding

    private func startRequest(_ clientHead: HTTPRequestHead, context: ChannelHandlerContext) {
        guard case .idle = phase else {
            // Pipelined requests are queued and started only when idle; anything else is a bug in this handler.
            context.close(promise: nil)
            return
        }
        requestHead = clientHead
        requestStart = .now
        requestComplete = false
        requestHadBody = false
        retriedStaleConnection = false
        idleSince = nil
        heldParts.removeAll(keepingCapacity: true)
        collectedBody = nil
        responseStatus = 0
        responseStarted = false
        responseComplete = false
        upstreamKeepAlive = true
        pendingSwitchHead = nil
        forwardPlan = nil
        logUser = nil
        refusalReason = nil
        keepAliveWithClient = clientHead.isKeepAlive && !quiescing
        isUpgradeRequest = HopByHopHeaders.isUpgradeRequest(clientHead.headers)
        // Hop-by-hop and framing headers go before the policy sees the request: the headers the policy adds
        // (credentials, impersonation) can then never be removed by a client's `Connection: ...` list, and the
        // body is framed upstream by the proxy alone.
        phase = .deciding
        let head: HTTPRequestHead
        switch RequestScreen.screen(clientHead, isUpgrade: isUpgradeRequest) {
        case .success(let screened):
            head = screened.head
            requestFraming = screened.framing
        case .failure(let refusal):
            requestFraming = .none
            respondLocally(refusalResponse(refusal, for: clientHead))
            return
        }

        switch policy.decide(head, connection: connectionInfo) {
        case .immediate(let decision):
            apply(decision)
        case .deferred(let work):
            work.start(on: context.eventLoop).assumeIsolated().whenComplete { [self] result in
                guard case .deciding = self.phase else { return }
                switch result {
                case .success(let decision):
                    self.apply(decision)
                case .failure(let error):
                    self.logger.error("request policy failed", metadata: ["error": "\(error)"])
                    self.apply(.respond(self.policy.policyFailureResponse(error, for: head)))
                }
            }
        }
    }

    private func apply(_ decision: ProxyDecision) {
        switch decision {
        case .respond(let response):
            respondLocally(response)
        case .forward(let plan):
            logUser = plan.logUser
            connect(plan)
        case .respondAfterBody(let reader):
            guard let context else { return }
            phase = .readingBody(reader)
            collectedBody = context.channel.allocator.buffer(capacity: 0)
            let held = heldParts
            heldParts.removeAll(keepingCapacity: true)
            for part in held {
                guard case .readingBody = phase else { break }
                collectBody(part, reader: reader, context: context)
            }
            resumeReadsIfPossible()
        }
    }

    /// Adds a body part to the collected body; at the end asks the reader for the answer.
    private func collectBody(_ part: HTTPServerRequestPart, reader: BodyReader, context: ChannelHandlerContext) {
        switch part {
        case .head:
            return
        case .body(var buffer):
            if (collectedBody?.readableBytes ?? 0) + buffer.readableBytes > reader.maximumBytes {
                collectedBody = nil
                respondLocally(reader.tooLarge)
                return
            }
            collectedBody?.writeBuffer(&buffer)
        case .end:
            let body = collectedBody ?? ByteBuffer()
            collectedBody = nil
            phase = .deciding
            let respond = reader.respond
            Deferred.task { try await respond(body) }.start(on: context.eventLoop).assumeIsolated().whenComplete { [self] result in
                guard case .deciding = self.phase else { return }
                switch result {
                case .success(let response):
                    self.respondLocally(response)
                case .failure(let error):
                    self.logger.error("local answer failed", metadata: ["error": "\(error)"])
                    let head = self.requestHead ?? HTTPRequestHead(version: .http1_1, method: .POST, uri: "/")
                    self.respondLocally(self.policy.policyFailureResponse(error, for: head))
                }
            }
        }
    }

    private func respondLocally(_ response: LocalResponse) {
        guard let context else { return }
        phase = .respondedLocally
        logUser = response.logUser ?? logUser
        refusalReason = response.refusalReason
        if let reason = response.refusalReason { metrics.recordRefusal(reason: reason) }
        // A refused upgrade request leaves the HTTP decoder stopped: the connection cannot carry another request.
        if isUpgradeRequest { keepAliveWithClient = false }
        var head = HTTPResponseHead(version: requestHead?.version ?? .http1_1, status: response.status, headers: response.headers)
        head.headers.replaceOrAdd(name: "Content-Length", value: String(response.body.readableBytes))
        if !keepAliveWithClient { head.headers.replaceOrAdd(name: "Connection", value: "close") }
        responseStatus = Int(response.status.code)
        responseStarted = true
        writer.writeHead(head, requestMethod: requestHead?.method ?? .GET, context: context)
        if response.body.readableBytes > 0 {
            writer.writeBody(response.body, context: context)
        }
        writer.writeEnd(context: context)
        context.flush()
        responseComplete = true
        heldParts.removeAll(keepingCapacity: true)
        maybeFinishExchange()
        resumeReadsIfPossible()
    }

    // MARK: Forwarding

    private func connect(_ plan: ForwardPlan, reusable: Bool = true) {
        guard let context else { return }
        forwardPlan = plan
        if reusable && !isUpgradeRequest, let upstream = pool.takeIdle(plan.upstream) {
            startForwarding(plan, upstream: upstream, context: context)
            return
        }
        phase = .connecting
        pool.connect(plan.upstream).assumeIsolated().whenComplete { [self] result in
            guard case .connecting = self.phase else {
                if case .success(let upstream) = result { upstream.value.close() }
                return
            }
            switch result {
            case .success(let upstream):
                self.startForwarding(plan, upstream: upstream.value, context: context)
            case .failure(let error):
                self.metrics.recordUpstreamError(kind: "connect")
                self.logger.warning("cannot reach upstream", metadata: ["upstream": "\(plan.upstream.id)", "error": "\(error)"])
                self.respondLocally(self.policy.upstreamFailureResponse(UpstreamConnectFailure(underlying: error), for: plan.head))
            }
        }
    }

    private func startForwarding(_ plan: ForwardPlan, upstream: UpstreamConnection, context: ChannelHandlerContext) {
        do {
            try upstream.writeHead(plan.head, host: plan.upstream.hostHeader, framing: requestFraming)
        } catch {
            // Nothing was written: the connection stays good.
            pool.release(upstream)
            logger.warning("refused to forward a request head that would not arrive exactly", metadata: ["user": "\(plan.logUser ?? "-")"])
            respondLocally(refusalResponse(.unsafeHead, for: plan.head))
            return
        }
        phase = .forwarding(upstream)
        upstream.attach(self)
        if !heldParts.isEmpty {
            let held = heldParts
            heldParts = []
            for part in held {
                guard case .forwarding = phase else { return }
                sendUpstream(part, to: upstream)
            }
        }
        if let channel = upstream.channel { flushes.flushSoon(channel) }
        if !context.channel.isWritable { upstream.pauseReads() }
        resumeReadsIfPossible()
    }

    /// Writes a request body part upstream; the caller flushes. Bytes that do not fit the request's framing (which
    /// the decoder rules out) abandon the request rather than reach the upstream.
    private func sendUpstream(_ part: HTTPServerRequestPart, to upstream: UpstreamConnection) {
        do {
            switch part {
            case .head:
                return
            case .body(let buffer):
                try upstream.writeBody(buffer)
            case .end:
                try upstream.writeEnd()
            }
        } catch {
            abandonRequest(.ambiguousFraming)
            return
        }
        if !upstream.isWritable { waitingForUpstreamWritability = true }
    }

    /// Refuses the request being served after part of it may have gone upstream: the upstream connection, carrying
    /// an unfinished request, is closed; the client gets the refusal if no response has started, and the connection
    /// closes either way.
    private func abandonRequest(_ refusal: ClientRequestRefusal) {
        guard let context else { return }
        keepAliveWithClient = false
        heldParts.removeAll()
        switch phase {
        case .forwarding(let upstream):
            upstream.detach()
            upstream.close()
            if responseStarted {
                refusalReason = refusal.reason
                metrics.recordRefusal(reason: refusal.reason)
                phase = .closed
                logExchange()
                closeAfterFlushing(context)
                return
            }
        case .deciding, .connecting, .readingBody:
            break
        case .respondedLocally:
            // Answered already; the connection cannot carry another request.
            if responseComplete {
                phase = .closed
                closeAfterFlushing(context)
            }
            return
        case .idle, .upgraded, .closed:
            return
        }
        guard let head = requestHead else { return }
        respondLocally(refusalResponse(refusal, for: head))
    }

    /// The policy's rendering of a refusal made by the forwarder itself.
    private func refusalResponse(_ refusal: ClientRequestRefusal, for head: HTTPRequestHead) -> LocalResponse {
        var response = policy.refusalResponse(refusal, for: head)
        response.refusalReason = refusal.reason
        if refusal.status == .methodNotAllowed {
            response.headers.replaceOrAdd(name: "Allow", value: ClientRequestRefusal.allowedMethods)
        }
        return response
    }

    // MARK: Upstream → client (UpstreamConnectionDelegate)

    func upstreamReceived(_ part: UpstreamResponsePart) {
        guard let context, case .forwarding(let upstream) = phase else { return }
        switch part {
        case .head(let head):
            if head.status == .switchingProtocols {
                guard isUpgradeRequest else {
                    // A switch nobody asked for: the connection no longer speaks HTTP.
                    upstream.detach()
                    upstream.close()
                    metrics.recordUpstreamError(kind: "protocol")
                    let failedHead = forwardPlan?.head ?? requestHead ?? HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
                    respondLocally(policy.upstreamFailureResponse(UpstreamResponseError.unexpectedSwitch, for: failedHead))
                    return
                }
                // Switch once the decoder has delivered the (empty) end of the 101 response.
                pendingSwitchHead = head
                return
            }
            responseStatus = Int(head.status.code)
            upstreamKeepAlive = head.isKeepAlive
            if isUpgradeRequest { keepAliveWithClient = false }
            var relayed = RelayedResponseHead(
                upstream: head, version: requestHead?.version ?? .http1_1,
                replacing: forwardPlan?.responseHeaders ?? [:], appending: forwardPlan?.appendedResponseHeaders ?? [:],
                close: false)
            // An HTTP/1.0 client learns where a body without a length ends only from the close.
            if relayed.needsCloseDelimiting { keepAliveWithClient = false }
            relayed.close = !keepAliveWithClient
            responseStarted = true
            writer.writeHead(relayed, context: context)
        case .body(let buffer):
            writer.writeBody(buffer, context: context)
        case .end(let trailers):
            if let head = pendingSwitchHead, let plan = forwardPlan {
                pendingSwitchHead = nil
                switchProtocols(head, plan: plan, upstream: upstream, context: context)
                return
            }
            responseComplete = true
            writer.writeEnd(trailers, context: context)
            flushes.flushSoon(context.channel)
            maybeFinishExchange()
        }
    }

    func upstreamReadComplete() {
        if let context { flushes.flushSoon(context.channel) }
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if isWritable && waitingForUpstreamWritability {
            waitingForUpstreamWritability = false
            resumeReadsIfPossible()
        }
    }

    func upstreamClosed(error: (any Error)?) {
        guard let context, case .forwarding(let upstream) = phase, let plan = forwardPlan else { return }
        if responseComplete { return }
        if !responseStarted && !upstream.receivedResponseData && upstream.previousRequests > 0 && !retriedStaleConnection
            && requestComplete && !requestHadBody && Self.isIdempotent(plan.head.method) {
            // A pooled connection the upstream closed while idle: the request never reached it. Try a fresh one once.
            retriedStaleConnection = true
            upstream.detach()
            heldParts = [.end(nil)]
            connect(plan, reusable: false)
            return
        }
        metrics.recordUpstreamError(kind: error == nil ? "closed" : "reset")
        if responseStarted {
            // Mid-response: the client cannot be told anything but an aborted stream.
            phase = .closed
            logExchange()
            closeAfterFlushing(context)
        } else {
            logger.warning("upstream closed before responding", metadata: ["upstream": "\(plan.upstream.id)", "error": "\(error.map { "\($0)" } ?? "eof")"])
            respondLocally(policy.upstreamFailureResponse(error ?? UpstreamClosedError(), for: plan.head))
        }
    }

    // MARK: Completion

    /// Ends the exchange once both the request and the response are complete.
    private func maybeFinishExchange() {
        guard requestComplete, responseComplete, let context else { return }
        if case .forwarding(let upstream) = phase {
            upstream.detach()
            if upstreamKeepAlive && !isUpgradeRequest {
                pool.release(upstream)
            } else {
                upstream.close()
            }
        }
        logExchange()
        waitingForUpstreamWritability = false
        if keepAliveWithClient && !quiescing {
            phase = .idle
            idleSince = .now()
            requestComplete = false
            replayPipelined(context: context)
            resumeReadsIfPossible()
        } else {
            phase = .closed
            closeAfterFlushing(context)
        }
    }

    /// Closes the connection after handing its unflushed writes to the socket (a close fails them otherwise; the
    /// end of a response may still be waiting for the coalesced flush).
    private func closeAfterFlushing(_ context: ChannelHandlerContext) {
        context.flush()
        context.close(promise: nil)
    }

    /// Delivers pipelined parts now that the previous exchange ended; stops when one of them starts an exchange
    /// that is not finished at once.
    private func replayPipelined(context: ChannelHandlerContext) {
        while !pipelined.isEmpty, isIdle || !requestComplete {
            switch pipelined.removeFirst() {
            case .part(let part): handle(part, context: context)
            case .malformed(let error): malformedInput(error, context: context, replayed: true)
            }
            if case .closed = phase { pipelined.removeAll(); return }
        }
        if clientInputEnded, isIdle, pipelined.isEmpty {
            phase = .closed
            closeAfterFlushing(context)
        }
    }

    /// On shutdown: close now when idle, else after the current exchange (the response says `Connection: close`
    /// if it has not started yet). When the client half-closes: answer what it sent, then close.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            clientInputEnded = true
            switch phase {
            case .idle where pipelined.isEmpty:
                phase = .closed
                closeAfterFlushing(context)
            default:
                // Closing already (a lingering close ends on its timer, once the answer is written), or answering.
                break
            }
            return
        }
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        quiescing = true
        keepAliveWithClient = false
        if isIdle {
            phase = .closed
            closeAfterFlushing(context)
        }
    }

    /// The client went away or broke: release what the exchange holds.
    private func abortExchange() {
        switch phase {
        case .forwarding(let upstream):
            upstream.detach()
            upstream.close()
            if requestHead != nil && !responseComplete { responseStatus = responseStarted ? responseStatus : 499; logExchange() }
        case .connecting, .deciding, .readingBody:
            if requestHead != nil { responseStatus = 499; logExchange() }
        default:
            break
        }
    }

    func logExchange() {
        guard let head = requestHead else { return }
        let duration = ContinuousClock.Instant.now - requestStart
        metrics.recordRequest(status: responseStatus, duration: duration)
        accessLog.record(method: head.method, uri: head.uri, status: responseStatus, user: logUser,
                         remote: connectionInfo.remoteIP, duration: duration, reason: refusalReason)
        requestHead = nil
    }
}

extension ForwardingHandler {
    static func isIdempotent(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .OPTIONS: return true
        default: return false
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
}
