public import NIOCore
public import NIOHTTP1
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
    private var idle: [String: [UpstreamConnection]] = [:]
    private var sweeper: RepeatedTask?

    init(eventLoop: any EventLoop, configuration: UpstreamPoolConfiguration) {
        self.eventLoop = eventLoop
        self.configuration = configuration
    }

    /// A connection to `endpoint`: an idle pooled one when `reusable`, else a new one.
    /// The connection is wrapped in `NIOLoopBound`: it belongs to this pool's event loop.
    func acquire(_ endpoint: UpstreamEndpoint, reusable: Bool) -> EventLoopFuture<NIOLoopBound<UpstreamConnection>> {
        eventLoop.preconditionInEventLoop()
        if reusable {
            // Popped in place: copying the list out of the dictionary would copy (and retain) every idle
            // connection on each request.
            while let connection = idle[endpoint.id]?.popLast() {
                if connection.isActive {
                    return eventLoop.makeSucceededFuture(NIOLoopBound(connection, eventLoop: eventLoop))
                }
            }
        }
        return connect(endpoint)
    }

    /// Returns a connection whose last exchange finished cleanly.
    func release(_ connection: UpstreamConnection) {
        eventLoop.preconditionInEventLoop()
        connection.detach()
        guard connection.isActive else { return }
        guard (idle[connection.endpointID]?.count ?? 0) < configuration.maxIdlePerEndpoint else {
            connection.close()
            return
        }
        connection.idleSince = .now()
        idle[connection.endpointID, default: []].append(connection)
        startSweeperIfNeeded()
    }

    /// Closes every idle connection.
    func closeAll() {
        eventLoop.preconditionInEventLoop()
        let all = idle.values.flatMap { $0 }
        idle = [:]
        sweeper?.cancel()
        sweeper = nil
        for connection in all { connection.close() }
    }

    private func forget(_ connection: UpstreamConnection) {
        idle[connection.endpointID]?.removeAll { $0 === connection }
    }

    private func connect(_ endpoint: UpstreamEndpoint) -> EventLoopFuture<NIOLoopBound<UpstreamConnection>> {
        let connection = UpstreamConnection(endpointID: endpoint.id)
        connection.onClose = { [weak self] connection in self?.forget(connection) }
        let handler = NIOLoopBound(connection, eventLoop: eventLoop)
        let limits = configuration.responseHeaderLimits
        return ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(configuration.connectTimeout)
            .channelInitializer { channel in
                do {
                    let sync = channel.pipeline.syncOperations
                    if let tls = endpoint.tlsContext {
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: endpoint.sniHostname))
                    }
                    try sync.addHTTPClientHandlers(
                        leftOverBytesStrategy: .forwardBytes,
                        // Request headers are parsed from the client (free of CR/LF) or set by the policy, which
                        // refuses identities with control characters; a second validation pass is pure cost.
                        enableOutboundHeaderValidation: false,
                        encoderConfiguration: .init(),
                        decoderLimitConfiguration: limits,
                        withClientUpgrade: nil
                    )
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
            for (_, list) in self.idle {
                for connection in list where connection.idleSince < cutoff { connection.close() }
            }
        }
    }
}

/// Limits for pooled upstream connections.
public struct UpstreamPoolConfiguration: Sendable {
    /// Idle connections kept per upstream and event loop.
    public var maxIdlePerEndpoint: Int = 64
    /// How long an idle connection is kept.
    public var idleTimeout: TimeAmount = .seconds(60)
    /// How long connecting (TCP + TLS) may take.
    public var connectTimeout: TimeAmount = .seconds(10)
    /// Limits for response heads from upstream.
    public var responseHeaderLimits: NIOHTTPDecoderLimitConfiguration = {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = 256 * 1024
        limits.maxHeaderListSize = 512 * 1024
        return limits
    }()

    /// Creates the defaults.
    public init() {}
}
