import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A plain TCP connection for tests that need exact bytes: upgrades, oversized heads, pipelining.
final class RawConnection: Sendable {
    private let channel: any Channel
    private let received: NIOLockedValueBox<[UInt8]>
    private let closed: NIOLockedValueBox<Bool>

    init(group: any EventLoopGroup, port: Int) async throws {
        let received = NIOLockedValueBox<[UInt8]>([])
        let closed = NIOLockedValueBox(false)
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

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Everything received so far, as text.
    var text: String { String(decoding: received.withLockedValue { $0 }, as: UTF8.self) }
    var byteCount: Int { received.withLockedValue { $0.count } }
    var isClosed: Bool { closed.withLockedValue { $0 } }

    /// Waits until `condition` holds for the received text (or the peer closed), at most `timeout`.
    @discardableResult
    func waitFor(timeout: Duration = .seconds(5), _ condition: (String) -> Bool) async -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let current = text
            if condition(current) || isClosed { return current }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return text
    }

    func close() async {
        try? await channel.close()
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<[UInt8]>
        let closed: NIOLockedValueBox<Bool>

        init(received: NIOLockedValueBox<[UInt8]>, closed: NIOLockedValueBox<Bool>) {
            self.received = received
            self.closed = closed
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLockedValue { $0.append(contentsOf: buffer.readableBytesView) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed.withLockedValue { $0 = true }
        }
    }
}
