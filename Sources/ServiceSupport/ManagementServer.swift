public import Logging
public import NIOCore
import NIOHTTP1
public import Prometheus
public import ServiceLifecycle

/// The second listener: `/healthz` (the process serves), `/readyz` (it can do its job) and `/metrics`
/// (Prometheus text format: the registry's metrics and the standard ``ProcessMetrics``, read at each scrape). Kept apart so the main listener passes the Kubernetes API's own endpoints of the same
/// names through untouched.
public final class ManagementServer: Service, Sendable {
    /// Says whether the service is ready, and if not, why.
    public typealias ReadinessCheck = @Sendable () -> (ready: Bool, detail: String)

    private let listener: HTTPListener
    private let registry: PrometheusCollectorRegistry
    private let readiness: ReadinessCheck
    private let logger: Logger
    private let bound: EventLoopPromise<SocketAddress>

    /// Creates the management listener.
    public init(listener: ListenerConfiguration, group: any EventLoopGroup, registry: PrometheusCollectorRegistry,
                logger: Logger, readiness: @escaping ReadinessCheck) {
        self.listener = HTTPListener(name: "management", configuration: listener, group: group, tls: nil, logger: logger)
        self.registry = registry
        self.readiness = readiness
        self.logger = logger
        self.bound = group.next().makePromise()
    }

    /// A server dropped without having run (a start that failed before it) answers ``localAddress`` with an
    /// error rather than leaving its promise unfulfilled.
    deinit {
        bound.fail(ListenerNotStarted())
    }

    /// The bound address, once listening.
    public var localAddress: SocketAddress {
        get async throws { try await bound.futureResult.get() }
    }

    /// Serves until graceful shutdown.
    public func run() async throws {
        do {
            let address = try await listener.bind { [registry, readiness] _, _ in
                ManagementHandler(registry: registry, readiness: readiness)
            }
            bound.succeed(address)
        } catch {
            bound.fail(error)
            throw error
        }
        try? await gracefulShutdown()
        await listener.shutdown(gracePeriod: .seconds(1))
    }
}

/// Answers the management endpoints.
final class ManagementHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = IOData

    private let registry: PrometheusCollectorRegistry
    private let readiness: ManagementServer.ReadinessCheck
    private var head: HTTPRequestHead?
    private var writer = ClientResponseWriter()
    /// The end of the last answer written.
    private var lastWrite: EventLoopFuture<Void>?

    init(registry: PrometheusCollectorRegistry, readiness: @escaping ManagementServer.ReadinessCheck) {
        self.registry = registry
        self.readiness = readiness
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Requests are answered as soon as they end, so on shutdown there is nothing to wait for; when the client
    /// half-closes, the connection closes once the last answer is written.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
        } else if case ChannelEvent.inputClosed = event {
            if let lastWrite {
                lastWrite.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        var status = HTTPResponseStatus.ok
        var contentType = "text/plain; charset=utf-8"
        var body = ByteBuffer()
        switch (head.method, path) {
        case (.GET, "/healthz"), (.HEAD, "/healthz"), (.GET, "/livez"), (.HEAD, "/livez"):
            body.writeString("ok\n")
        case (.GET, "/readyz"), (.HEAD, "/readyz"):
            let (ready, detail) = readiness()
            status = ready ? .ok : .serviceUnavailable
            body.writeString(ready ? "ok\n" : "not ready: \(detail)\n")
        case (.GET, "/metrics"):
            contentType = "text/plain; version=0.0.4; charset=utf-8"
            var bytes: [UInt8] = []
            ProcessMetrics().emit(into: &bytes)
            registry.emit(into: &bytes)
            body.writeBytes(bytes)
        case (_, "/healthz"), (_, "/readyz"), (_, "/livez"), (_, "/metrics"):
            status = .methodNotAllowed
            body.writeString("method not allowed\n")
        default:
            status = .notFound
            body.writeString("not found\n")
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Cache-Control", value: "no-store")
        if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        writer.writeHead(HTTPResponseHead(version: head.version, status: status, headers: headers), requestMethod: head.method,
                         context: context)
        writer.writeBody(body, context: context)
        let keepAlive = head.isKeepAlive
        let written = context.eventLoop.makePromise(of: Void.self)
        writer.writeEnd(context: context, promise: written)
        context.flush()
        lastWrite = written.futureResult
        written.futureResult.assumeIsolated().whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
    }
}
