public import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

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
        return ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
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

    /// Creates the defaults.
    public init() {}
}
