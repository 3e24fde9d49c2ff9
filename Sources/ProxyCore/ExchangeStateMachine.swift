import NIOCore
import NIOHTTP1
import ServiceSupport

/// The request/response exchanges of one client connection, as a value: takes events (request parts from the
/// decoder, the policy's decision, upstream connections and response parts, writability, closes) and appends the
/// ``ExchangeAction``s that follow from them. It does no I/O and owns no channel; ``ForwardingHandler`` executes
/// the actions.
///
/// One exchange runs at a time. Requests a client pipelines behind it are queued (the reads that bring them are
/// paused, so one read's worth at most) and served in order once it ends. The machine frames the upstream request
/// itself (``UpstreamRequestWriter``): the bytes it hands out are exactly what the upstream receives.
///
/// Rules it keeps:
/// - a body part never reaches an upstream before the policy decided to forward, and never beyond the framing the
///   decoder read (a mismatch abandons the request and closes that upstream connection);
/// - a pooled connection that turns out closed before answering is retried once on a fresh one, only for an
///   idempotent request without a body that had received no response byte;
/// - a connection is reused (client side and upstream side) only after both the request and the response ended
///   and both sides allow it; an upgrade request's connection is never reused;
/// - bytes that are not a request are answered (400 and friends) after the requests before them, then the
///   connection closes; a half-closed client gets its answers, then the close.
struct ExchangeStateMachine<Upstream> {
    typealias Action = ExchangeAction<Upstream>
    typealias Actions = CircularBuffer<Action>

    /// Where the current exchange is.
    enum Phase {
        /// Waiting for a request head.
        case idle
        /// The policy is deciding; body parts are held.
        case deciding
        /// Reading the request body for a local answer.
        case readingBody(BodyReader)
        /// The body reader is making the answer.
        case answering
        /// Answered locally; the rest of the request body is dropped.
        case respondedLocally
        /// Waiting for an upstream connection; body parts are held.
        case connecting
        /// Request and response stream through this upstream connection.
        case forwarding(Upstream)
        /// Bytes are relayed both ways; the machine is done.
        case upgraded
        /// The connection is closing.
        case closed
    }

    /// The request being served and what is known of its response.
    private struct Exchange {
        /// The client's head, screened.
        var clientHead: RequestHead
        var keepAlive: Bool
        var requestComplete = false
        var hadBody = false
        /// Body parts that arrived before there was somewhere to send them.
        var held: [ClientRequestPart] = []
        /// The body read for a local answer.
        var collected: ByteBuffer?
        var plan: ForwardPlan?
        var user: String?
        var refusalReason: String?
        var retriedStaleConnection = false
        var status = 0
        var responseStarted = false
        var responseComplete = false
        var upstreamKeepAlive = true
        /// An upstream `101` waiting for its (empty) end before the switch.
        var pendingSwitch: UpstreamResponseHead?
        var recorded = false

        /// Whether the request asks to switch protocols.
        var isUpgrade: Bool { clientHead.isUpgrade }
        /// How the client framed the body (as the decoder read it).
        var framing: RequestBodyFraming { clientHead.framing }
    }

    /// Input queued behind the current exchange.
    private enum PipelinedInput {
        case part(ClientRequestPart)
        case malformed(ClientRequestError)
    }

    private(set) var phase = Phase.idle
    private var exchange: Exchange?
    private var pipelined = CircularBuffer<PipelinedInput>(initialCapacity: 4)
    private var quiescing = false
    private var clientInputEnded = false
    private var readPending = false
    private var clientWritable = true
    private var upstreamWritable = true
    /// Numbers upstream connection attempts, so that a late answer to an abandoned one is recognised.
    private var connectAttempt = 0
    private var requestWriter = UpstreamRequestWriter()
    /// Renders the responses the forwarder makes itself (refusals, upstream and policy failures).
    private let policy: any RequestPolicy
    private let allocator: ByteBufferAllocator

    init(policy: any RequestPolicy, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.policy = policy
        self.allocator = allocator
    }

    /// Whether the connection waits for a request head (the idle timeout applies only then).
    var isWaitingForRequest: Bool {
        if case .idle = phase { return pipelined.isEmpty }
        return false
    }

    private var isIdle: Bool {
        if case .idle = phase { return true }
        return false
    }

    // MARK: Client input

    /// A request part from the decoder.
    mutating func requestPartReceived(_ part: ClientRequestPart, into actions: inout Actions) {
        if case .closed = phase { return }
        // A pipelined request (sent before the previous response finished) waits until the exchange ends.
        if !pipelined.isEmpty || (exchange?.requestComplete == true && !isIdle) {
            pipelined.append(.part(part))
            return
        }
        handle(part, into: &actions)
    }

    /// The decoder found bytes that are not a valid request: requests before them are answered first, in order; a
    /// request cut short by them is abandoned.
    mutating func requestMalformed(_ error: ClientRequestError, into actions: inout Actions) {
        malformed(error, replayed: false, into: &actions)
    }

    /// The client shut down its sending side: answer what it sent, then close.
    mutating func clientInputClosed(into actions: inout Actions) {
        clientInputEnded = true
        if case .idle = phase, pipelined.isEmpty {
            closeClient(into: &actions)
        }
        // Otherwise answering, or closing already (a lingering close ends on its own timer).
    }

    /// The pipeline asks for a read: granted unless reads are paused for backpressure.
    mutating func readRequested(into actions: inout Actions) {
        if readsPaused {
            readPending = true
        } else {
            actions.append(.readClient)
        }
    }

    mutating func clientWritabilityChanged(isWritable: Bool, into actions: inout Actions) {
        clientWritable = isWritable
        if case .forwarding(let upstream) = phase {
            actions.append(isWritable ? .resumeUpstreamReads(upstream) : .pauseUpstreamReads(upstream))
        }
    }

    /// Shutdown: close now when idle, else after the current exchange (its response says `Connection: close` if
    /// it has not started yet).
    mutating func quiesce(into actions: inout Actions) {
        quiescing = true
        exchange?.keepAlive = false
        if isIdle { closeClient(into: &actions) }
    }

    /// The shutdown's grace period ended with this exchange still running: a response being streamed gets its end
    /// (for a chunked response the last chunk, so that a watch ends cleanly and its client re-lists), then the
    /// connection closes.
    mutating func shutdownDeadlineReached(into actions: inout Actions) {
        switch phase {
        case .forwarding(let upstream) where exchange?.responseStarted == true:
            actions.append(.closeUpstream(upstream))
            actions.append(.writeResponseEnd(nil))
            record(into: &actions)
        case .forwarding(let upstream):
            actions.append(.closeUpstream(upstream))
            respondLocally(refusalResponse(.shuttingDown), into: &actions)
        case .deciding, .connecting, .readingBody, .answering:
            respondLocally(refusalResponse(.shuttingDown), into: &actions)
        case .idle, .respondedLocally, .upgraded, .closed:
            break
        }
        pipelined.removeAll()
        if case .closed = phase { return }
        closeClient(into: &actions)
    }

    /// The connection waited for a request head longer than the idle timeout.
    mutating func idleTimedOut(into actions: inout Actions) {
        if isIdle { closeClient(into: &actions) }
    }

    /// The client connection closed, or failed (`closing`: the handler must close it).
    mutating func clientGone(closing: Bool, into actions: inout Actions) {
        switch phase {
        case .forwarding(let upstream):
            actions.append(.closeUpstream(upstream))
            if exchange?.responseComplete == false {
                if exchange?.responseStarted == false { exchange?.status = 499 }
                record(into: &actions)
            }
        case .connecting, .deciding, .readingBody, .answering:
            exchange?.status = 499
            record(into: &actions)
        case .idle, .respondedLocally, .upgraded, .closed:
            break
        }
        phase = .closed
        pipelined.removeAll()
        if closing { actions.append(.closeClient) }
    }

    // MARK: Policy

    /// The policy's decision for the current request.
    mutating func decided(_ decision: ProxyDecision, into actions: inout Actions) {
        guard case .deciding = phase else { return }
        switch decision {
        case .respond(let response):
            respondLocally(response, into: &actions)
        case .forward(let plan):
            exchange?.user = plan.logUser
            connect(plan, reusable: true, into: &actions)
        case .respondAfterBody(let reader):
            phase = .readingBody(reader)
            let empty = allocator.buffer(capacity: 0)
            exchange?.collected = empty
            let held = takeHeldParts()
            for part in held {
                guard case .readingBody = phase else { break }
                collectBody(part, reader: reader, into: &actions)
            }
            resumeReadsIfPossible(into: &actions)
        }
    }

    /// The policy's deferred work failed: the client gets the policy's failure response.
    mutating func decisionFailed(_ error: any Error, into actions: inout Actions) {
        guard case .deciding = phase, let head = exchange?.clientHead else { return }
        actions.append(.warn(.policyFailed(error)))
        respondLocally(policy.policyFailureResponse(error, for: head), into: &actions)
    }

    /// The body reader's answer.
    mutating func answered(_ response: LocalResponse, into actions: inout Actions) {
        guard case .answering = phase else { return }
        respondLocally(response, into: &actions)
    }

    mutating func answerFailed(_ error: any Error, into actions: inout Actions) {
        guard case .answering = phase, let head = exchange?.clientHead else { return }
        actions.append(.warn(.answerFailed(error)))
        respondLocally(policy.policyFailureResponse(error, for: head), into: &actions)
    }

    // MARK: Upstream

    /// A connection for attempt `attempt` is ready.
    mutating func upstreamReady(_ upstream: Upstream, attempt: Int, into actions: inout Actions) {
        guard case .connecting = phase, attempt == connectAttempt, let plan = exchange?.plan,
              let framing = exchange?.framing else {
            actions.append(.closeUpstream(upstream))
            return
        }
        let head: ByteBuffer
        do {
            head = try requestWriter.encodeHead(plan.request, host: plan.upstream.hostHeader, framing: framing,
                                                isUpgrade: exchange?.isUpgrade == true, allocator: allocator)
        } catch {
            // Nothing was written: the connection stays good.
            actions.append(.releaseUpstream(upstream))
            actions.append(.warn(.unsafeHead(user: plan.logUser)))
            respondLocally(refusalResponse(.unsafeHead), into: &actions)
            return
        }
        phase = .forwarding(upstream)
        upstreamWritable = true
        actions.append(.beginUpstreamRequest(upstream, method: plan.request.method, head: head))
        for part in takeHeldParts() {
            guard case .forwarding = phase else { return }
            sendUpstream(part, to: upstream, into: &actions)
        }
        actions.append(.flushUpstream(upstream))
        if exchange?.requestComplete == true { actions.append(.awaitResponseHead) }
        if !clientWritable { actions.append(.pauseUpstreamReads(upstream)) }
        resumeReadsIfPossible(into: &actions)
    }

    /// Attempt `attempt` could not connect.
    mutating func upstreamUnreachable(_ error: any Error, attempt: Int, into actions: inout Actions) {
        guard case .connecting = phase, attempt == connectAttempt, let exchange, let plan = exchange.plan else { return }
        actions.append(.countUpstreamError(kind: "connect"))
        actions.append(.warn(.upstreamUnreachable(endpoint: plan.upstream.id, error: error)))
        respondLocally(policy.upstreamFailureResponse(UpstreamConnectFailure(underlying: error), for: exchange.clientHead),
                       into: &actions)
    }

    /// A part of the upstream's response.
    mutating func responsePartReceived(_ part: UpstreamResponsePart, into actions: inout Actions) {
        guard case .forwarding(let upstream) = phase, var exchange, let plan = exchange.plan else { return }
        switch part {
        case .head(let head):
            if head.status == .switchingProtocols {
                guard exchange.isUpgrade else {
                    // A switch nobody asked for: the connection no longer speaks HTTP.
                    actions.append(.closeUpstream(upstream))
                    actions.append(.countUpstreamError(kind: "protocol"))
                    respondLocally(policy.upstreamFailureResponse(UpstreamResponseError.unexpectedSwitch, for: exchange.clientHead),
                                   into: &actions)
                    return
                }
                // Switch once the framer has delivered the (empty) end of the 101 response.
                self.exchange?.pendingSwitch = head
                return
            }
            exchange.status = Int(head.status.code)
            exchange.upstreamKeepAlive = head.isKeepAlive
            if exchange.isUpgrade { exchange.keepAlive = false }
            var relayed = RelayedResponseHead(
                upstream: head, version: exchange.clientHead.version, replacing: plan.responseHeaders,
                appending: plan.appendedResponseHeaders, close: false)
            // An HTTP/1.0 client learns where a body without a length ends only from the close.
            if relayed.needsCloseDelimiting { exchange.keepAlive = false }
            relayed.close = !exchange.keepAlive
            exchange.responseStarted = true
            self.exchange = exchange
            switch head.framing {
            case .chunked, .untilClose:
                // A streamed response may be a watch that holds the connection for hours: no spare buffer meanwhile.
                requestWriter.releaseSpareBuffer()
            case .none, .contentLength:
                break
            }
            actions.append(.writeResponseHead(relayed))
        case .body(let buffer):
            actions.append(.writeResponseBody(buffer))
        case .end(let trailers):
            if let head = exchange.pendingSwitch {
                self.exchange?.pendingSwitch = nil
                switchProtocols(head, plan: plan, upstream: upstream, into: &actions)
                return
            }
            self.exchange?.responseComplete = true
            actions.append(.writeResponseEnd(trailers))
            actions.append(.flushClient)
            finishIfComplete(into: &actions)
        }
    }

    /// The upstream has not answered the whole request within the response-head timeout (the handler's clock
    /// runs from ``ExchangeAction/awaitResponseHead`` until the response starts or the exchange lets go of the
    /// upstream).
    mutating func responseHeadTimedOut(_ timeout: TimeAmount, into actions: inout Actions) {
        guard case .forwarding(let upstream) = phase, let exchange, let plan = exchange.plan,
              exchange.requestComplete, !exchange.responseStarted, exchange.pendingSwitch == nil else { return }
        actions.append(.closeUpstream(upstream))
        actions.append(.countUpstreamError(kind: "timeout"))
        actions.append(.warn(.upstreamTimedOut(endpoint: plan.upstream.id)))
        respondLocally(policy.upstreamFailureResponse(UpstreamResponseTimeout(timeout: timeout), for: exchange.clientHead), into: &actions)
    }

    /// The upstream finished a read: what it relayed can go out.
    mutating func upstreamReadComplete(into actions: inout Actions) {
        if case .forwarding = phase { actions.append(.flushClient) }
    }

    mutating func upstreamWritabilityChanged(isWritable: Bool, into actions: inout Actions) {
        upstreamWritable = isWritable
        if isWritable { resumeReadsIfPossible(into: &actions) }
    }

    /// The upstream connection closed (`error`: how, if not cleanly). `untouchedReuse`: it was a reused connection
    /// and sent nothing for this request, so the request may never have reached it.
    mutating func upstreamClosed(error: (any Error)?, untouchedReuse: Bool, into actions: inout Actions) {
        guard case .forwarding = phase, let exchange, let plan = exchange.plan, !exchange.responseComplete else { return }
        if !exchange.responseStarted && untouchedReuse && !exchange.retriedStaleConnection && exchange.requestComplete
            && !exchange.hadBody && Self.isIdempotent(plan.request.method) {
            // A pooled connection the upstream closed while idle: the request never reached it. Try a fresh one once.
            self.exchange?.retriedStaleConnection = true
            self.exchange?.held = [.end(nil)]
            connect(plan, reusable: false, into: &actions)
            return
        }
        actions.append(.countUpstreamError(kind: error == nil ? "closed" : "reset"))
        if exchange.responseStarted {
            // Mid-response: the client cannot be told anything but an aborted stream.
            record(into: &actions)
            closeClient(into: &actions)
        } else {
            actions.append(.warn(.upstreamClosedEarly(endpoint: plan.upstream.id, error: error)))
            respondLocally(policy.upstreamFailureResponse(error ?? UpstreamClosedError(), for: exchange.clientHead), into: &actions)
        }
    }

    // MARK: Serving a request

    private mutating func handle(_ part: ClientRequestPart, into actions: inout Actions) {
        switch part {
        case .head(let head):
            startRequest(head, into: &actions)
        case .body, .end(nil):
            guard exchange != nil else { return }
            if case .end = part { exchange?.requestComplete = true } else { exchange?.hadBody = true }
            switch phase {
            case .deciding, .connecting:
                exchange?.held.append(part)
            case .forwarding(let upstream):
                sendUpstream(part, to: upstream, into: &actions)
                guard case .forwarding = phase else { return }
                actions.append(.flushUpstream(upstream))
                if exchange?.requestComplete == true {
                    if exchange?.responseStarted == false { actions.append(.awaitResponseHead) }
                    finishIfComplete(into: &actions)
                }
            case .readingBody(let reader):
                collectBody(part, reader: reader, into: &actions)
            case .respondedLocally:
                if exchange?.requestComplete == true { finishIfComplete(into: &actions) }
            case .idle, .answering, .upgraded, .closed:
                break
            }
        case .end(.some(let trailers)):
            // Request trailers never reach an upstream: dropped, or the request refused when they carry a header
            // the head may not carry either.
            if case .respondedLocally = phase {
            } else if let refusal = trailers.lazy.compactMap({ RequestScreen.refusalForTrailer(named: $0.name) }).first {
                exchange?.requestComplete = true
                abandonRequest(refusal, into: &actions)
                return
            }
            handle(.end(nil), into: &actions)
        }
    }

    private mutating func startRequest(_ head: RequestHead, into actions: inout Actions) {
        guard case .idle = phase else {
            // Pipelined requests are queued and started only when idle; anything else is a bug in this machine.
            closeClient(into: &actions)
            return
        }
        // Hop-by-hop and framing headers go before the policy sees the request: the headers the policy adds
        // (credentials, impersonation) can then never be removed by a client's `Connection: ...` list, and the
        // body is framed upstream by the proxy alone.
        var head = head
        let refusal = RequestScreen.screen(&head)
        exchange = Exchange(clientHead: head, keepAlive: head.isKeepAlive && !quiescing)
        actions.append(.startClock)
        phase = .deciding
        if let refusal {
            respondLocally(refusalResponse(refusal), into: &actions)
        } else {
            actions.append(.decide(head))
        }
    }

    private mutating func connect(_ plan: ForwardPlan, reusable: Bool, into actions: inout Actions) {
        exchange?.plan = plan
        phase = .connecting
        connectAttempt &+= 1
        let reusable = reusable && exchange?.isUpgrade == false
        actions.append(.acquireUpstream(plan.upstream, reusable: reusable, attempt: connectAttempt))
    }

    /// Frames a request body part for the upstream. Bytes that do not fit the request's framing (which the
    /// decoder rules out) abandon the request rather than reach the upstream.
    private mutating func sendUpstream(_ part: ClientRequestPart, to upstream: Upstream, into actions: inout Actions) {
        let allocator = allocator
        do {
            switch part {
            case .head:
                return
            case .body(let buffer):
                try requestWriter.writeBody(buffer, allocator: allocator) { actions.append(.writeUpstream(upstream, $0)) }
            case .end:
                try requestWriter.writeEnd(allocator: allocator) { actions.append(.writeUpstream(upstream, $0)) }
            }
        } catch {
            abandonRequest(.ambiguousFraming, into: &actions)
        }
    }

    /// Adds a body part to the collected body; at the end starts the reader's answer.
    private mutating func collectBody(_ part: ClientRequestPart, reader: BodyReader, into actions: inout Actions) {
        switch part {
        case .head:
            return
        case .body(var buffer):
            if (exchange?.collected?.readableBytes ?? 0) + buffer.readableBytes > reader.maximumBytes {
                exchange?.collected = nil
                respondLocally(reader.tooLarge, into: &actions)
                return
            }
            exchange?.collected?.writeBuffer(&buffer)
        case .end:
            let body = exchange?.collected ?? ByteBuffer()
            exchange?.collected = nil
            phase = .answering
            actions.append(.answerFromBody(reader, body))
        }
    }

    private mutating func respondLocally(_ response: LocalResponse, into actions: inout Actions) {
        guard var exchange else { return }
        phase = .respondedLocally
        exchange.user = response.logUser ?? exchange.user
        exchange.refusalReason = response.refusalReason
        if let reason = response.refusalReason { actions.append(.countRefusal(reason: reason)) }
        // A refused upgrade request leaves the decoder stopped: the connection cannot carry another request.
        if exchange.isUpgrade { exchange.keepAlive = false }
        var head = HTTPResponseHead(version: exchange.clientHead.version, status: response.status, headers: response.headers)
        head.headers.replaceOrAdd(name: "Content-Length", value: String(response.body.readableBytes))
        if !exchange.keepAlive { head.headers.replaceOrAdd(name: "Connection", value: "close") }
        exchange.status = Int(response.status.code)
        exchange.responseStarted = true
        exchange.responseComplete = true
        exchange.held = []
        let method = exchange.clientHead.method
        self.exchange = exchange
        actions.append(.writeLocalResponse(head, body: response.body, requestMethod: method))
        finishIfComplete(into: &actions)
        resumeReadsIfPossible(into: &actions)
    }

    /// The policy's rendering of a refusal made by the forwarder itself.
    private func refusalResponse(_ refusal: ClientRequestRefusal) -> LocalResponse {
        let head = exchange?.clientHead ?? .placeholder
        var response = policy.refusalResponse(refusal, for: head)
        response.refusalReason = refusal.reason
        if refusal.status == .methodNotAllowed {
            response.headers.replaceOrAdd(name: "Allow", value: ClientRequestRefusal.allowedMethods)
        }
        return response
    }

    /// Refuses the request being served after part of it may have gone upstream: the upstream connection, carrying
    /// an unfinished request, is closed; the client gets the refusal if no response has started, and the connection
    /// closes either way.
    private mutating func abandonRequest(_ refusal: ClientRequestRefusal, into actions: inout Actions) {
        guard let current = exchange else { return }
        exchange?.keepAlive = false
        exchange?.held = []
        switch phase {
        case .forwarding(let upstream):
            actions.append(.closeUpstream(upstream))
            if current.responseStarted {
                exchange?.refusalReason = refusal.reason
                actions.append(.countRefusal(reason: refusal.reason))
                record(into: &actions)
                closeClient(into: &actions)
                return
            }
        case .deciding, .connecting, .readingBody, .answering:
            break
        case .respondedLocally:
            // Answered already; the connection cannot carry another request.
            if current.responseComplete { closeClient(into: &actions) }
            return
        case .idle, .upgraded, .closed:
            return
        }
        respondLocally(refusalResponse(refusal), into: &actions)
    }

    private mutating func malformed(_ error: ClientRequestError, replayed: Bool, into actions: inout Actions) {
        switch phase {
        case .closed, .upgraded:
            return
        case .idle where replayed || pipelined.isEmpty:
            actions.append(.countRefusal(reason: error.reason))
            actions.append(.answerMalformed(error))
            phase = .closed
            pipelined.removeAll()
        default:
            if !replayed && (!pipelined.isEmpty || exchange?.requestComplete == true) {
                // Nothing valid follows a decoding error: one queued error is enough.
                if case .malformed = pipelined.last { return }
                pipelined.append(.malformed(error))
            } else {
                exchange?.requestComplete = true
                abandonRequest(ClientRequestRefusal(status: error.status, reason: error.reason,
                                                    message: "the request is malformed"), into: &actions)
            }
        }
    }

    private mutating func switchProtocols(_ upstreamHead: UpstreamResponseHead, plan: ForwardPlan, upstream: Upstream,
                                          into actions: inout Actions) {
        phase = .upgraded
        exchange?.status = 101
        // The 101 keeps its Connection and Upgrade headers: the client needs them to switch too.
        var head = upstreamHead.responseHead
        for (name, value) in plan.responseHeaders where !HeaderNames.equals(name, lowercase: "cache-control") {
            head.headers.replaceOrAdd(name: name, value: value)
        }
        record(into: &actions)
        actions.append(.switchProtocols(head, upstream))
    }

    // MARK: Completion

    /// Ends the exchange once both the request and the response are complete.
    private mutating func finishIfComplete(into actions: inout Actions) {
        guard let exchange, exchange.requestComplete, exchange.responseComplete else { return }
        if case .forwarding(let upstream) = phase {
            actions.append(exchange.upstreamKeepAlive && !exchange.isUpgrade ? .releaseUpstream(upstream) : .closeUpstream(upstream))
        }
        record(into: &actions)
        upstreamWritable = true
        if exchange.keepAlive && !quiescing {
            phase = .idle
            self.exchange = nil
            actions.append(.becameIdle)
            replayPipelined(into: &actions)
            resumeReadsIfPossible(into: &actions)
        } else {
            closeClient(into: &actions)
        }
    }

    /// Delivers pipelined input now that the previous exchange ended; stops when it starts an exchange that is not
    /// finished at once.
    private mutating func replayPipelined(into actions: inout Actions) {
        while !pipelined.isEmpty, isIdle || exchange?.requestComplete != true {
            switch pipelined.removeFirst() {
            case .part(let part): handle(part, into: &actions)
            case .malformed(let error): malformed(error, replayed: true, into: &actions)
            }
            if case .closed = phase {
                pipelined.removeAll()
                return
            }
        }
        if clientInputEnded, isIdle, pipelined.isEmpty {
            closeClient(into: &actions)
        }
    }

    private mutating func closeClient(into actions: inout Actions) {
        phase = .closed
        actions.append(.closeClient)
    }

    private mutating func record(into actions: inout Actions) {
        guard let exchange, !exchange.recorded else { return }
        self.exchange?.recorded = true
        actions.append(.record(ExchangeRecord(head: exchange.clientHead,
                                              status: exchange.status, user: exchange.user,
                                              refusalReason: exchange.refusalReason)))
    }

    private mutating func takeHeldParts() -> [ClientRequestPart] {
        guard let held = exchange?.held, !held.isEmpty else { return [] }
        exchange?.held = []
        return held
    }

    // MARK: Backpressure

    private var readsPaused: Bool {
        // Hold at most one read's worth of pipelined requests.
        if !pipelined.isEmpty { return true }
        switch phase {
        case .deciding, .answering, .connecting: return true
        case .forwarding: return !upstreamWritable
        case .idle, .readingBody, .respondedLocally, .upgraded, .closed: return false
        }
    }

    private mutating func resumeReadsIfPossible(into actions: inout Actions) {
        guard readPending, !readsPaused else { return }
        readPending = false
        actions.append(.readClient)
    }

    static func isIdempotent(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .OPTIONS: return true
        default: return false
        }
    }
}

extension RequestHead {
    /// The head refusals are rendered for when no request is being served.
    fileprivate static let placeholder = RequestHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/"))
}
