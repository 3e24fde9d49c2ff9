public import NIOCore
import NIOPosix

/// A plain TCP connection for tests that need exact bytes: upgrades, oversized heads, pipelining.
public final class RawConnection: Sendable {
    private let channel: any Channel
    private let received: LockedValue<[UInt8]>
    private let closed: LockedValue<Bool>

    /// Connects to 127.0.0.1:`port`.
    public init(group: any EventLoopGroup, port: Int) async throws {
        let received = LockedValue<[UInt8]>([])
        let closed = LockedValue(false)
        self.received = received
        self.closed = closed
        channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(received: received, closed: closed))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
    }

    /// Sends `text` as it is.
    public func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Sends `bytes` as they are.
    public func send(bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// Shuts down the sending side (TCP half-close): the peer reads the end of input, and can still answer.
    public func halfClose() async throws {
        try await channel.close(mode: .output)
    }

    /// Everything received so far, as text.
    public var text: String { String(decoding: received.withLock { $0 }, as: UTF8.self) }
    public var byteCount: Int { received.withLock { $0.count } }
    public var isClosed: Bool { closed.withLock { $0 } }

    /// Waits until `condition` holds for the received text (or the peer closed), at most `timeout`.
    @discardableResult
    public func waitFor(timeout: Duration = .seconds(5), _ condition: (String) -> Bool) async -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let current = text
            if condition(current) || isClosed { return current }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return text
    }

    /// Closes the connection.
    public func close() async {
        try? await channel.close()
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: LockedValue<[UInt8]>
        let closed: LockedValue<Bool>

        init(received: LockedValue<[UInt8]>, closed: LockedValue<Bool>) {
            self.received = received
            self.closed = closed
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLock { $0.append(contentsOf: buffer.readableBytesView) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed.withLock { $0 = true }
        }
    }
}
