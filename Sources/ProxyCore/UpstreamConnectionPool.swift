public import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
#if canImport(Glibc)
import Glibc
#endif

/// Keep-alive connections to upstreams, owned by one event loop.
///
/// Every client connection is served on one event loop and takes its upstream connections from that loop's pool, so
/// request and response bytes never change threads and the pool needs no locks.
final class UpstreamConnectionPool: @unchecked Sendable {
    // @unchecked: all mutable state is confined to `eventLoop` (checked with preconditions).
    let eventLoop: any EventLoop
    private let configuration: UpstreamPoolConfiguration
    /// Idle connections by endpoint. The lists are objects so that taking and returning a connection reads the
    /// dictionary instead of mutating it through an accessor (which allocates on each call).
    private var idle: [String: IdleConnections] = [:]
    private var sweeper: RepeatedTask?

    /// Opens a channel to an endpoint whose pipeline ends with the given connection handler; the future succeeds
    /// once the channel is connected.
    typealias Connector = (UpstreamEndpoint, UpstreamConnection) -> EventLoopFuture<Void>
    private let connector: Connector?

    /// Creates a pool; `connector` replaces TCP connections (in-memory channels for tests and fuzzing).
    init(eventLoop: any EventLoop, configuration: UpstreamPoolConfiguration, connector: Connector? = nil) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.connector = connector
    }

    /// An idle pooled connection to `endpoint` that is still open, if there is one (the most recently used).
    func takeIdle(_ endpoint: UpstreamEndpoint) -> UpstreamConnection? {
        eventLoop.preconditionInEventLoop()
        guard let list = idle[endpoint.id] else { return nil }
        while let connection = list.connections.popLast() {
            if connection.isActive { return connection }
        }
        return nil
    }

    /// Returns a connection whose last exchange finished cleanly.
    func release(_ connection: UpstreamConnection) {
        eventLoop.preconditionInEventLoop()
        connection.detach()
        guard connection.isActive else { return }
        let list: IdleConnections
        if let existing = idle[connection.endpointID] {
            list = existing
        } else {
            list = IdleConnections()
            idle[connection.endpointID] = list
        }
        guard list.connections.count < configuration.maxIdlePerEndpoint else {
            connection.close()
            return
        }
        connection.idleSince = .now()
        list.connections.append(connection)
        startSweeperIfNeeded()
    }

    /// Closes every idle connection.
    func closeAll() {
        eventLoop.preconditionInEventLoop()
        let all = idle.values.flatMap(\.connections)
        idle = [:]
        sweeper?.cancel()
        sweeper = nil
        for connection in all { connection.close() }
    }

    private func forget(_ connection: UpstreamConnection) {
        idle[connection.endpointID]?.connections.removeAll { $0 === connection }
    }

    /// A new connection to `endpoint`, wrapped in `NIOLoopBound`: it belongs to this pool's event loop.
    func connect(_ endpoint: UpstreamEndpoint) -> EventLoopFuture<NIOLoopBound<UpstreamConnection>> {
        eventLoop.preconditionInEventLoop()
        let connection = UpstreamConnection(endpointID: endpoint.id,
                                            maximumResponseHeadBytes: configuration.maximumResponseHeadBytes)
        connection.onClose = { [weak self] connection in self?.forget(connection) }
        let handler = NIOLoopBound(connection, eventLoop: eventLoop)
        if let connector {
            return connector(endpoint, connection).map { handler }
        }
        return Self.applyKeepAlive(configuration.tcpKeepAlive, to: ClientBootstrap(group: eventLoop))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(configuration.connectTimeout)
            .channelInitializer { channel in
                do {
                    let sync = channel.pipeline.syncOperations
                    if let tls = endpoint.tlsContext {
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: endpoint.sniHostname))
                    }
                    // The connection handler encodes requests (with the proxy's own framing) and frames responses,
                    // which are relayed from their bytes.
                    try sync.addHandler(handler.value)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .map { _ in handler }
    }

    private func startSweeperIfNeeded() {
        guard sweeper == nil else { return }
        let timeout = configuration.idleTimeout
        sweeper = eventLoop.scheduleRepeatedTask(initialDelay: timeout, delay: timeout) { [weak self] _ in
            guard let self else { return }
            let cutoff = NIODeadline.now() - timeout
            for list in self.idle.values {
                for connection in list.connections where connection.idleSince < cutoff { connection.close() }
            }
        }
    }
}

extension UpstreamConnectionPool {
    /// Turns on TCP keep-alive probes: a peer that vanished (a node gone, a NAT entry dropped) is noticed after
    /// `idle + interval × probes` of silence, also on a connection carrying an open watch.
    static func applyKeepAlive(_ keepAlive: UpstreamPoolConfiguration.TCPKeepAlive?, to bootstrap: ClientBootstrap) -> ClientBootstrap {
        guard let keepAlive else { return bootstrap }
        var bootstrap = bootstrap.channelOption(.socketOption(.so_keepalive), value: 1)
        #if os(Linux)
        let seconds: [(CInt, TimeAmount)] = [(TCP_KEEPIDLE, keepAlive.idle), (TCP_KEEPINTVL, keepAlive.interval)]
        for (name, value) in seconds {
            bootstrap = bootstrap.channelOption(
                ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: name)),
                value: SocketOptionValue(max(1, value.nanoseconds / 1_000_000_000)))
        }
        bootstrap = bootstrap.channelOption(
            ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: TCP_KEEPCNT)),
            value: SocketOptionValue(keepAlive.probes))
        #endif
        return bootstrap
    }
}

/// The idle connections to one endpoint, most recently used last.
private final class IdleConnections {
    var connections: [UpstreamConnection] = []
}

/// Limits for pooled upstream connections.
public struct UpstreamPoolConfiguration: Sendable {
    /// Idle connections kept per upstream and event loop.
    public var maxIdlePerEndpoint: Int = 64
    /// How long an idle connection is kept.
    public var idleTimeout: TimeAmount = .seconds(60)
    /// How long connecting (TCP + TLS) may take.
    public var connectTimeout: TimeAmount = .seconds(10)
    /// The largest response head accepted from the upstream (Kubernetes sends small heads; consoles may set many
    /// cookies).
    public var maximumResponseHeadBytes: Int = 512 * 1024
    /// TCP keep-alive probes on upstream connections (`nil`: off).
    public var tcpKeepAlive: TCPKeepAlive? = TCPKeepAlive()

    /// When TCP keep-alive probes start, how often they repeat and how many may go unanswered.
    public struct TCPKeepAlive: Sendable, Hashable {
        /// Silence before the first probe.
        public var idle: TimeAmount
        /// Time between probes.
        public var interval: TimeAmount
        /// Unanswered probes before the connection is dropped.
        public var probes: Int

        /// Creates the settings (defaults: 30 s, 10 s, 3 probes: a dead peer is noticed within a minute).
        public init(idle: TimeAmount = .seconds(30), interval: TimeAmount = .seconds(10), probes: Int = 3) {
            self.idle = idle
            self.interval = interval
            self.probes = probes
        }
    }

    /// Creates the defaults.
    public init() {}
}
