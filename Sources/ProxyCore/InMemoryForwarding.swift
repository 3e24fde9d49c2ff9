import Dispatch
public import Logging
public import NIOCore
public import NIOEmbedded
import NIOHTTP1
import Prometheus
import ServiceSupport

/// The real forwarding handler run over in-memory channels, for tests and fuzzing; production code never uses it.
///
/// One `EmbeddedEventLoop` carries a client channel set up like a listener's connection (the listener's request
/// decoder, then the forwarding handler, whose upstream pool makes in-memory channels), and an in-memory upstream
/// server: what the proxy sends on each upstream connection is recorded byte for byte and parsed strictly (see
/// ``invariantViolations(in:expectedIdentity:identityPrefixes:)`` for how strictly), and every complete request is
/// answered with ``Settings/upstreamResponse`` so that pipelined requests make progress.
///
/// The channels behave like sockets where the handler can tell: client bytes are delivered one read at a time and
/// only when the pipeline asked for a read (backpressure holds them back), the client's end of input arrives as
/// `ChannelEvent.inputClosed` (the listener allows half-closure), a close fails the writes not flushed yet, and
/// closing only the output keeps the channel open (for the lingering close) but fails later writes. An
/// observation-only handler is added at the head of each pipeline (reads, writes, closes); the forwarding handler
/// counts the request heads its decoder produces.
///
/// Every call runs the event loop until nothing changes (bounded by ``Settings/maximumStepsPerRun``, though not
/// inside a single handler call); scheduled tasks (the lingering close) run only when ``advanceTime(by:)`` moves the
/// clock. Not thread-safe: use it on one thread. Call ``finish()`` at the end (``deinit`` does when it was not
/// called); a policy's deferred decision must be completed before, or NIO reports the leaked promise in debug builds.
public final class InMemoryForwarding {
    /// Options for the harness.
    public struct Settings {
        /// What the upstream answers to every complete request (only its head for a `HEAD` request).
        public var upstreamResponse: [UInt8] = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)
        /// The forwarding handler's timeouts. Its checks compare wall-clock time, so moving the harness's clock
        /// alone does not make them pass.
        public var timeouts = ForwardingTimeouts()
        /// Whether the client connection counts as TLS for the policy.
        public var isTLS = false
        /// The upstream pool's limits.
        public var pool = UpstreamPoolConfiguration()
        /// The client's address as the policy sees it.
        public var clientAddress: SocketAddress? = try? SocketAddress(ipAddress: "192.0.2.10", port: 50_000)
        /// The proxy's logger; the default discards everything.
        public var logger = Logger(label: "vzauth.in-memory", factory: { _ in SwiftLogNoOpLogHandler() })
        /// Metrics to record into; `nil` makes a fresh registry (a fuzzer may share one across runs).
        public var metrics: ProxyMetrics?
        /// The most deliveries one call makes, plus one per client read it queues; beyond it the call stops and
        /// ``InMemoryForwarding/workLimitExceeded`` is set.
        public var maximumStepsPerRun = 10_000

        /// The defaults.
        public init() {}
    }

    /// The event loop every channel runs on (complete a deferred policy decision on it, then call ``run()``).
    public let eventLoop: EmbeddedEventLoop
    private let settings: Settings
    private let client: EmbeddedChannel
    private let clientSocket = EmulatedSocket()
    private let handler: ForwardingHandler
    private let pool: UpstreamConnectionPool
    private let server: InMemoryUpstreamServer
    private var pendingInput: [ClientInput] = []
    private var pendingInputStart = 0
    private var received: [UInt8] = []
    private var finished = false

    /// Whether a call stopped at ``Settings/maximumStepsPerRun`` (the proxy kept producing work).
    public private(set) var workLimitExceeded = false
    /// Anything the harness could not do as a socket would (setup failures, writes of an unexpected type).
    public private(set) var harnessErrors: [String] = []

    private enum ClientInput {
        case bytes([UInt8])
        case endOfInput
    }

    /// Creates the harness with a connected client; nothing is sent yet.
    public init(policy: any RequestPolicy, settings: Settings = Settings()) {
        let loop = EmbeddedEventLoop()
        eventLoop = loop
        self.settings = settings
        let server = InMemoryUpstreamServer(loop: loop, response: settings.upstreamResponse)
        self.server = server
        pool = UpstreamConnectionPool(eventLoop: loop, configuration: settings.pool) { endpoint, connection in
            server.connect(endpoint, connection)
        }
        client = EmbeddedChannel(loop: loop)
        client.allowRemoteHalfClosure = true
        client.remoteAddress = settings.clientAddress
        let metrics = settings.metrics ?? ProxyMetrics(registry: PrometheusCollectorRegistry(), prefix: "in_memory")
        handler = ForwardingHandler(
            policy: policy, loop: ForwardingLoopResources(pool: pool, flushes: FlushCoalescer(eventLoop: loop)),
            metrics: metrics, accessLog: AccessLog(logger: settings.logger), logger: settings.logger,
            isTLS: settings.isTLS, timeouts: settings.timeouts)
        do {
            let sync = client.pipeline.syncOperations
            try sync.addHandler(clientSocket)
            try sync.addHandler(handler)
        } catch {
            harnessErrors.append("setting up the client pipeline failed: \(error)")
        }
        if let address = settings.clientAddress ?? (try? SocketAddress(unixDomainSocketPath: "/in-memory")) {
            client.connect(to: address, promise: nil)
        }
        // The listener reads as soon as the connection is active (auto-read).
        client.read()
        pump(extraSteps: 0)
    }

    deinit {
        finish()
    }

    // MARK: Driving

    /// Sends `bytes` from the client as one read, or as several reads split at `offsets` (offsets outside the
    /// bytes are ignored); with `thenHalfClose`, the client then shuts down its sending side. Runs until nothing
    /// changes.
    public func send(_ bytes: [UInt8], splitAt offsets: [Int] = [], thenHalfClose: Bool = false) {
        let cuts = Set(offsets.filter { $0 > 0 && $0 < bytes.count }).sorted()
        var reads: [[UInt8]] = []
        var start = 0
        for cut in cuts + [bytes.count] {
            reads.append(Array(bytes[start..<cut]))
            start = cut
        }
        send(reads: reads, thenHalfClose: thenHalfClose)
    }

    /// Sends the UTF-8 bytes of `text`, like the `[UInt8]` variant.
    public func send(_ text: String, splitAt offsets: [Int] = [], thenHalfClose: Bool = false) {
        send(Array(text.utf8), splitAt: offsets, thenHalfClose: thenHalfClose)
    }

    /// Sends each element of `reads` as one read (empty ones are skipped), then the end of input if asked. Runs
    /// until nothing changes.
    public func send(reads: [[UInt8]], thenHalfClose: Bool = false) {
        guard !finished else { return }
        var queued = 0
        for read in reads where !read.isEmpty {
            pendingInput.append(.bytes(read))
            queued += 1
        }
        if thenHalfClose {
            pendingInput.append(.endOfInput)
            queued += 1
        }
        pump(extraSteps: queued)
    }

    /// The client shuts down its sending side (after what it sent so far); runs until nothing changes.
    public func halfCloseClient() {
        send(reads: [], thenHalfClose: true)
    }

    /// Runs until nothing changes (after completing a deferred decision, say).
    public func run() {
        pump(extraSteps: 0)
    }

    /// Moves the clock forward, running the tasks that fall due (the lingering close, the pool's sweeper), then runs
    /// until nothing changes.
    public func advanceTime(by amount: TimeAmount) {
        guard !finished else { return }
        eventLoop.advanceTime(by: amount)
        pump(extraSteps: 0)
    }

    /// Closes everything: the client goes away, the pool closes its idle connections, the upstream connections
    /// close, and the event loop shuts down (running what is due, cancelling timers). Safe to call more than once;
    /// later calls to the harness do nothing.
    ///
    /// Channels are closed without `EmbeddedChannel.finish()`, which blocks on the close (forever, if a handler
    /// completed it later) and throws for errors the pipeline left behind. As on a socket, the close fails writes
    /// that were not flushed; nothing here throws.
    public func finish() {
        guard !finished else { return }
        finished = true
        settle()
        client.close(promise: nil)
        settle()
        // The proxy closed the connection of an unfinished exchange as the client went away; what is still open is
        // idle in the pool, and closing it is the end of the run rather than the proxy's doing.
        server.markOpenConnectionsClosedByHarness()
        pool.closeAll()
        settle()
        server.closeAll()
        settle()
        server.failPendingConnects()
        eventLoop.shutdownGracefully(queue: DispatchQueue(label: "vzauth.in-memory.shutdown")) { _ in }
        _ = server.collect()
    }

    // MARK: Observations

    /// Every byte the proxy wrote to the client, in order.
    public var clientReceived: [UInt8] { received }

    /// ``clientReceived`` as text (bytes that are not UTF-8 are replaced).
    public var clientReceivedText: String { String(decoding: received, as: UTF8.self) }

    /// The bytes the proxy sent on each upstream connection, in the order the connections were opened.
    public var upstreamConnections: [[UInt8]] { server.peers.map(\.bytes) }

    /// Whether the proxy closed each upstream connection: during the run, or as the client went away at
    /// ``finish()`` (the connection of an unfinished exchange). Idle connections closed at the end of the run count
    /// as the harness's.
    public var upstreamConnectionsClosedByProxy: [Bool] { server.peers.map(\.closedByProxy) }

    /// Every request the upstream parsed, connection by connection; the last of a connection may be incomplete.
    public var upstreamRequests: [UpstreamRequest] { server.peers.flatMap { $0.requests + ($0.partial.map { [$0] } ?? []) } }

    /// Why the upstream stopped parsing a connection, one message per connection that had an error.
    public var upstreamParseErrors: [String] {
        server.peers.compactMap { peer in peer.parseError.map { "connection \(peer.index): \($0)" } }
    }

    /// Whether the client connection is still open (an output closed for lingering still counts as open).
    public var clientChannelIsActive: Bool { !finished && client.isActive }

    /// Whether the proxy shut down or closed its sending side of the client connection.
    public var clientOutputClosed: Bool { clientSocket.outputClosed }

    /// How many request heads the client connection's decoder produced.
    public var clientRequestHeads: Int { handler.requestHeadsDecoded }

    /// Client reads (and a pending end of input) not delivered yet because the proxy has not asked for them.
    public var pendingClientReads: Int { pendingInput.count - pendingInputStart }

    // MARK: Running

    /// Runs the loop, collects what the channels wrote, answers complete upstream requests, and delivers client
    /// reads the proxy asked for, until nothing changes or the step budget is spent.
    private func pump(extraSteps: Int) {
        guard !finished else { return }
        var budget = settings.maximumStepsPerRun + extraSteps
        while true {
            eventLoop.run()
            var progressed = drainClient()
            progressed = server.collect() || progressed
            progressed = server.deliverResponses() || progressed
            progressed = deliverClientInput() || progressed
            guard progressed else { return }
            budget -= 1
            if budget <= 0 {
                workLimitExceeded = true
                return
            }
        }
    }

    /// Runs the loop and collects output, delivering nothing.
    private func settle() {
        eventLoop.run()
        _ = drainClient()
        _ = server.collect()
    }

    private func drainClient() -> Bool {
        var progressed = false
        while true {
            let output: IOData?
            do {
                output = try client.readOutbound(as: IOData.self)
            } catch {
                harnessErrors.append("the client channel wrote something that is not bytes: \(error)")
                progressed = true
                continue
            }
            guard let output else { return progressed }
            progressed = true
            switch output {
            case .byteBuffer(let buffer): received += buffer.readableBytesView
            case .fileRegion: harnessErrors.append("the client channel wrote a file region")
            }
        }
    }

    /// Delivers the next client read if the proxy asked for one; drops everything once the connection is closed.
    private func deliverClientInput() -> Bool {
        guard pendingInputStart < pendingInput.count else { return false }
        guard client.isActive, !clientSocket.inputShut else {
            pendingInput.removeAll()
            pendingInputStart = 0
            return true
        }
        guard clientSocket.readRequested else { return false }
        clientSocket.readRequested = false
        let input = pendingInput[pendingInputStart]
        pendingInputStart += 1
        if pendingInputStart == pendingInput.count {
            pendingInput.removeAll(keepingCapacity: true)
            pendingInputStart = 0
        }
        switch input {
        case .bytes(let bytes):
            _ = try? client.writeInbound(client.allocator.buffer(bytes: bytes))
            // Auto-read: the channel asks for the next read once this one is handled.
            if client.isActive { client.read() }
        case .endOfInput:
            clientSocket.inputShut = true
            client.pipeline.syncOperations.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
        return true
    }
}

/// The head of an in-memory pipeline, standing for the socket where `EmbeddedChannel` does not: records read
/// requests (the harness delivers input only when one is pending); holds writes until they are flushed and fails
/// the unflushed ones when the channel closes (an `EmbeddedChannel` would still deliver them on a later flush); keeps
/// the channel open when only its output is shut down, and fails writes after that.
final class EmulatedSocket: ChannelOutboundHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// The pipeline asked for a read that has not been served yet.
    var readRequested = false
    /// The sending side is shut down (or the channel closed).
    private(set) var outputClosed = false
    /// The receiving side is shut down: the peer's end of input was delivered, or the handler shut it down.
    var inputShut = false
    /// The channel was asked to close completely.
    private(set) var closed = false
    private var unflushed: [(data: NIOAny, promise: EventLoopPromise<Void>?)] = []

    func read(context: ChannelHandlerContext) {
        readRequested = true
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !outputClosed else {
            promise?.fail(closed ? ChannelError.ioOnClosedChannel : ChannelError.outputClosed)
            return
        }
        unflushed.append((data, promise))
    }

    func flush(context: ChannelHandlerContext) {
        let writes = unflushed
        unflushed.removeAll()
        for write in writes { context.write(write.data, promise: write.promise) }
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch mode {
        case .output:
            guard !outputClosed else {
                promise?.fail(closed ? ChannelError.alreadyClosed : ChannelError.outputClosed)
                return
            }
            outputClosed = true
            failUnflushed(ChannelError.outputClosed)
            promise?.succeed(())
            context.fireUserInboundEventTriggered(ChannelEvent.outputClosed)
        case .input:
            guard !inputShut, !closed else {
                promise?.fail(closed ? ChannelError.alreadyClosed : ChannelError.inputClosed)
                return
            }
            inputShut = true
            promise?.succeed(())
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        case .all:
            closed = true
            outputClosed = true
            failUnflushed(ChannelError.ioOnClosedChannel)
            context.close(mode: .all, promise: promise)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failUnflushed(ChannelError.ioOnClosedChannel)
    }

    private func failUnflushed(_ error: ChannelError) {
        let writes = unflushed
        unflushed.removeAll()
        for write in writes { write.promise?.fail(error) }
    }
}
