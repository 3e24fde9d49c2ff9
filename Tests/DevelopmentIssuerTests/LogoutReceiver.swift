import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A tiny HTTP server on `127.0.0.1` that answers every request 200 and hands over the form bodies of POSTs: what an
/// OIDC proxy's back-channel logout endpoint receives.
final class LogoutReceiver: Sendable {
    let bodies: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation
    private let channel: any Channel

    private init(channel: any Channel, bodies: AsyncStream<String>, continuation: AsyncStream<String>.Continuation) {
        self.channel = channel
        self.bodies = bodies
        self.continuation = continuation
    }

    /// Starts listening on a free port.
    static func start() async throws -> LogoutReceiver {
        let (bodies, continuation) = AsyncStream.makeStream(of: String.self)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(continuation: continuation))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return LogoutReceiver(channel: channel, bodies: bodies, continuation: continuation)
    }

    /// `http://127.0.0.1:PORT/logout`.
    var url: String {
        "http://127.0.0.1:\(self.channel.localAddress?.port ?? 0)/logout"
    }

    /// The next body received, or `nil` after `timeout`.
    func next(timeout: Duration = .seconds(10)) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask {
                var iterator = self.bodies.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    func stop() async {
        self.continuation.finish()
        try? await self.channel.close()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let continuation: AsyncStream<String>.Continuation
        var body = ""

        init(continuation: AsyncStream<String>.Continuation) {
            self.continuation = continuation
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head:
                self.body = ""
            case .body(let buffer):
                self.body += String(buffer: buffer)
            case .end:
                self.continuation.yield(self.body)
                let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Content-Length": "0"])
                context.write(self.wrapOutboundOut(.head(head)), promise: nil)
                context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
