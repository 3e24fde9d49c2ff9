public import NIOCore
import NIOPosix

/// A TCP server on `127.0.0.1` (ephemeral port) that writes back whatever it reads: a target for
/// `kubectl port-forward` through ``KubeAPIEmulator``.
///
/// ```swift
/// let echo = try await TCPEchoServer.start()
/// var configuration = KubeAPIEmulator.Configuration(tlsConfiguration: ...)
/// configuration.portForwardTarget = { $0.port == 8080 ? echo.port : nil }
/// // kubectl port-forward pod/web :8080, then:
/// let reply = try await TCPEchoServer.exchange(port: localPort, sending: Array("hello".utf8))
/// ```
public final class TCPEchoServer: Sendable {
    /// The port it listens on (on 127.0.0.1).
    public let port: Int
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    /// Starts listening on `127.0.0.1` with an ephemeral port.
    public static func start(eventLoopGroup: (any EventLoopGroup)? = nil) async throws -> TCPEchoServer {
        let channel = try await ServerBootstrap(group: eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(EchoHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return TCPEchoServer(channel: channel)
    }

    /// Stops listening (connections already accepted stay open until their peers close them).
    public func shutdown() async throws {
        try await self.channel.close()
    }

    /// Connects to `127.0.0.1:port`, sends `bytes`, reads until as many bytes came back (or the peer closed),
    /// closes, and returns what it read. Throws ``Timeout`` after `timeout` seconds.
    public static func exchange(
        port: Int,
        sending bytes: [UInt8],
        expecting count: Int? = nil,
        timeout: Duration = .seconds(5)
    ) async throws -> [UInt8] {
        let expected = count ?? bytes.count
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let raw = channel.channel
        return try await withThrowingTaskGroup(of: [UInt8].self) { group in
            group.addTask {
                try await channel.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(bytes: bytes))
                    var received: [UInt8] = []
                    for try await chunk in inbound {
                        received += chunk.readableBytesView
                        if received.count >= expected { break }
                    }
                    return received
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                raw.close(promise: nil)
                throw Timeout()
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// ``exchange(port:sending:expecting:timeout:)`` got no complete answer in time.
    public struct Timeout: Error, CustomStringConvertible {
        public var description: String { "no complete answer in time" }
    }
}

private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
