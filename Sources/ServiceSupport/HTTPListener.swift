public import Logging
public import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A TCP listener serving HTTP/1.1 (optionally over TLS) whose connections can be drained on shutdown.
///
/// It sets up TLS (with certificate reload), the HTTP codec with the header limits, pipelining assistance, and
/// then the handler a caller provides per connection. ``shutdown(gracePeriod:)`` stops accepting, asks every
/// connection to finish its current request, and closes what is still open when the grace period ends.
public final class HTTPListener: Sendable {
    /// Makes the last handler of a new connection's pipeline; `isTLS` says whether the connection is TLS. The
    /// handler gets requests one part at a time, possibly pipelined, and must handle `ChannelShouldQuiesceEvent`.
    public typealias HandlerFactory = @Sendable (_ channel: any Channel, _ isTLS: Bool) throws -> any ChannelHandler

    private let configuration: ListenerConfiguration
    private let group: any EventLoopGroup
    private let tls: ServerTLSContextProvider?
    private let logger: Logger
    private let name: String
    private let state = Mutex<State>(State())

    private struct State {
        var serverChannel: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
        /// Connections refused for the limit since the last warning, and when that was.
        var refusedSinceWarning = 0
        var lastLimitWarning: NIODeadline?
    }

    /// Request heads up to this size, counted as received (request line, fields, line ends), are accepted (Keycloak
    /// tokens with many groups are large); larger get 431.
    public static let maxRequestHeaderBytes = 320 * 1024
    /// At most this many header fields in a request head; more get 431.
    public static let maxRequestHeaderFields = 256

    /// Creates a listener; nothing is bound until ``bind(handlerFactory:)``.
    ///
    /// - Parameter name: what the listener serves (`api`, `management`), for logs.
    public init(name: String, configuration: ListenerConfiguration, group: any EventLoopGroup, tls: ServerTLSContextProvider?, logger: Logger) {
        self.name = name
        self.configuration = configuration
        self.group = group
        self.tls = tls
        self.logger = logger
    }

    /// The bound address, once bound.
    public var localAddress: SocketAddress? {
        state.withLock { $0.serverChannel?.localAddress }
    }

    /// Binds and starts accepting connections.
    ///
    /// - Parameters:
    ///   - decodesRequests: put the request decoder (``ClientRequestDecoder`` with the listener's limits) in front
    ///     of the handler, which then gets `HTTPServerRequestPart`s; without it the handler gets the bytes and
    ///     decodes them itself (the proxies' forwarder does, to keep heads as bytes).
    ///   - handlerFactory: makes each connection's handler.
    @discardableResult
    public func bind(decodesRequests: Bool = true, handlerFactory: @escaping HandlerFactory) async throws -> SocketAddress {
        let tls = self.tls
        let channel: any Channel
        do {
            channel = try await bootstrap(handlerFactory: handlerFactory, decodesRequests: decodesRequests)
                .bind(host: configuration.host, port: configuration.port)
                .get()
        } catch {
            throw ListenerBindError(listener: name, host: configuration.host, port: configuration.port, error: error)
        }
        state.withLock { $0.serverChannel = channel }
        guard let address = channel.localAddress else { throw ChannelError.unknownLocalAddress }
        logger.info("listening", metadata: ["listener": "\(name)", "address": "\(address)", "tls": "\(tls != nil)"])
        return address
    }

    private func bootstrap(handlerFactory: @escaping HandlerFactory, decodesRequests: Bool) -> ServerBootstrap {
        let tls = self.tls
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // A client that half-closes after its request still gets the answer; handlers close on `inputClosed`.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { [self] channel in
                do {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        try sync.addHandler(NIOSSLServerHandler(context: tls.current))
                    }
                    guard self.admit(channel) else {
                        try sync.addHandler(ConnectionLimitResponder())
                        return channel.eventLoop.makeSucceededVoidFuture()
                    }
                    if decodesRequests { try Self.addRequestDecoder(to: sync) }
                    try sync.addHandler(handlerFactory(channel, tls != nil))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
    }

    /// Adds what turns a connection's bytes into request parts, with the request limits, to a pipeline (after TLS,
    /// before the handler that serves the requests).
    ///
    /// No pipelining assistance: it stops reading during every response (two epoll changes a request); the handlers
    /// queue pipelined requests themselves. No response encoder: responses are encoded by the last handler itself
    /// (``ClientResponseWriter``), from a parsed upstream head or made here.
    package static func addRequestDecoder(to pipeline: ChannelPipeline.SynchronousOperations) throws {
        try pipeline.addHandler(ByteToMessageHandler(makeRequestDecoder()))
    }

    /// The request decoder with the listener's limits (for handlers that decode themselves, as the forwarder does).
    package static func makeRequestDecoder() -> ClientRequestDecoder {
        ClientRequestDecoder(maximumHeadBytes: maxRequestHeaderBytes, maximumFieldCount: maxRequestHeaderFields)
    }

    /// Stops accepting, lets open connections finish their current request, and closes the rest after `gracePeriod`.
    public func shutdown(gracePeriod: Duration) async {
        let (server, open) = state.withLock { state in
            let server = state.serverChannel
            state.serverChannel = nil
            return (server, Array(state.connections.values))
        }
        try? await server?.close()
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let deadline = ContinuousClock.now + gracePeriod
        while ContinuousClock.now < deadline, !state.withLock({ $0.connections.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        var remaining = state.withLock { Array($0.connections.values) }
        guard !remaining.isEmpty else { return }
        logger.info("closing connections still open after the grace period", metadata: ["count": "\(remaining.count)"])
        // Handlers end what they can end cleanly (the last chunk of a streamed response) and close; what is still
        // open a moment later is closed here.
        for channel in remaining {
            channel.pipeline.fireUserInboundEventTriggered(ShutdownDeadlineEvent())
        }
        let closeDeadline = ContinuousClock.now + .seconds(1)
        while ContinuousClock.now < closeDeadline, !state.withLock({ $0.connections.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        remaining = state.withLock { Array($0.connections.values) }
        for channel in remaining {
            try? await channel.close()
        }
    }

    /// Sent through every connection's pipeline when the grace period of a shutdown has ended: end the current
    /// response as cleanly as it can be ended, then close. The listener closes connections still open soon after.
    public struct ShutdownDeadlineEvent: Sendable {
        /// Creates the event.
        public init() {}
    }

    /// Counts `channel` in, unless the listener is at its connection limit (then says so in the log, at most every
    /// 10 s).
    private func admit(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let limit = configuration.maximumConnections
        let (admitted, warnRefused): (Bool, Int?) = state.withLock { state in
            if let limit, state.connections.count >= limit {
                state.refusedSinceWarning += 1
                let now = NIODeadline.now()
                guard state.lastLimitWarning.map({ now - $0 >= .seconds(10) }) ?? true else { return (false, nil) }
                state.lastLimitWarning = now
                defer { state.refusedSinceWarning = 0 }
                return (false, state.refusedSinceWarning)
            }
            state.connections[id] = channel
            return (true, nil)
        }
        if let warnRefused {
            logger.warning("connection limit reached: answering new connections 503", metadata: [
                "listener": "\(name)", "limit": "\(limit ?? 0)", "refused": "\(warnRefused)",
                "fix": "raise --max-connections (and the file limit), or add replicas",
            ])
        }
        guard admitted else { return false }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.state.withLock { $0.connections.removeValue(forKey: id) }
        }
        return true
    }
}

/// A listener's address was asked for, but its server was released without having run.
public struct ListenerNotStarted: Error, CustomStringConvertible {
    /// Creates the error.
    public init() {}

    /// Says so.
    public var description: String { "the server was released without having started" }
}
