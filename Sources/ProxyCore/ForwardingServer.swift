public import Logging
public import NIOCore
public import ServiceLifecycle
public import ServiceSupport

/// The proxy's main listener: every request goes through a ``RequestPolicy`` and is then answered locally or
/// streamed to an upstream.
///
/// Run it in a `ServiceGroup`: ``run()`` binds, serves until graceful shutdown, then drains connections for the
/// grace period.
public final class ForwardingServer: Service, Sendable {
    private let listener: HTTPListener
    private let policy: any RequestPolicy
    private let loops: [ObjectIdentifier: ForwardingLoopResources]
    private let metrics: ProxyMetrics
    private let accessLog: AccessLog
    private let logger: Logger
    private let gracePeriod: Duration
    private let bound: EventLoopPromise<SocketAddress>
    private let timeouts: ForwardingTimeouts

    /// Creates the server.
    ///
    /// - Parameters:
    ///   - listener: where to listen.
    ///   - group: the event loops serving connections (each gets its own upstream connection pool).
    ///   - tls: the TLS context provider when serving TLS.
    ///   - policy: decides about each request.
    ///   - gracePeriod: how long in-flight requests may take to finish on shutdown.
    ///   - timeouts: how long a connection may wait for a request head, and the upstream for a response head.
    ///   - name: the listener's name in logs (`api`, `oidc`).
    public init(name: String = "api", listener: ListenerConfiguration, group: any EventLoopGroup, tls: ServerTLSContextProvider?,
                policy: any RequestPolicy, metrics: ProxyMetrics, accessLog: AccessLog, logger: Logger,
                pool: UpstreamPoolConfiguration = .init(), gracePeriod: Duration = .seconds(20),
                timeouts: ForwardingTimeouts = .init()) {
        self.timeouts = timeouts
        self.listener = HTTPListener(name: name, configuration: listener, group: group, tls: tls, logger: logger)
        self.policy = policy
        var loops: [ObjectIdentifier: ForwardingLoopResources] = [:]
        for loop in group.makeIterator() {
            loops[ObjectIdentifier(loop)] = ForwardingLoopResources(
                pool: UpstreamConnectionPool(eventLoop: loop, configuration: pool), flushes: FlushCoalescer(eventLoop: loop))
        }
        self.loops = loops
        self.metrics = metrics
        self.accessLog = accessLog
        self.logger = logger
        self.gracePeriod = gracePeriod
        self.bound = group.next().makePromise()
    }

    /// A server dropped without having run (a start that failed before it) answers ``localAddress`` with an
    /// error rather than leaving its promise unfulfilled.
    deinit {
        bound.fail(ListenerNotStarted())
    }

    /// The bound address, once the server listens (tests bind port 0 and ask this).
    public var localAddress: SocketAddress {
        get async throws { try await bound.futureResult.get() }
    }

    /// Serves until graceful shutdown or cancellation, then drains.
    public func run() async throws {
        let address: SocketAddress
        do {
            address = try await listener.bind(decodesRequests: false) { [loops, policy, metrics, accessLog, logger, timeouts] channel, isTLS in
                guard let loop = loops[ObjectIdentifier(channel.eventLoop)] else {
                    throw ChannelError.inappropriateOperationForState
                }
                return ForwardingHandler(policy: policy, loop: loop, metrics: metrics, accessLog: accessLog,
                                         logger: logger, isTLS: isTLS, timeouts: timeouts)
            }
        } catch {
            bound.fail(error)
            throw error
        }
        bound.succeed(address)
        try? await gracefulShutdown()
        logger.info("draining connections", metadata: ["grace_period": "\(gracePeriod)"])
        await listener.shutdown(gracePeriod: gracePeriod)
        for pool in loops.values.map(\.pool) {
            pool.eventLoop.execute { pool.closeAll() }
        }
    }
}

/// What the client connections of one event loop share: the upstream connection pool and the flush coalescer.
struct ForwardingLoopResources: Sendable {
    let pool: UpstreamConnectionPool
    let flushes: FlushCoalescer
}
