public import NIOCore
import NIOHTTP1
import NIOPosix

/// What the demo pods serve on their port: a tiny HTTP server on `127.0.0.1` answering every request with
/// `Hello from Verrazzano` and the request's method and path (plain text), for `kubectl port-forward` to a demo pod
/// (point ``KubeAPIEmulator/Configuration/portForwardTarget`` at ``port``).
///
/// ```swift
/// let web = try await KubeEmulatorDemoWebServer.start()
/// configuration.portForwardTarget = { _ in web.port }
/// ```
public final class KubeEmulatorDemoWebServer: Sendable {
    /// The port it listens on.
    public let port: Int
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    /// Starts it on `127.0.0.1:port` (0: a free port).
    public static func start(port: Int = 0, eventLoopGroup: (any EventLoopGroup)? = nil) async throws -> KubeEmulatorDemoWebServer {
        let channel = try await ServerBootstrap(group: eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(KubeEmulatorDemoWebHandler())
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
        return KubeEmulatorDemoWebServer(channel: channel)
    }

    /// Stops listening.
    public func shutdown() async throws {
        try await self.channel.close()
    }
}

/// Answers each request with the greeting.
private final class KubeEmulatorDemoWebHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var head: HTTPRequestHead?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head = self.head else { return }
            let body = ByteBuffer(string: "Hello from Verrazzano (\(head.method.rawValue) \(head.uri))\n")
            var headers = HTTPHeaders([("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", String(body.readableBytes))])
            if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
            context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            if !head.isKeepAlive { context.close(promise: nil) }
            self.head = nil
        }
    }
}
