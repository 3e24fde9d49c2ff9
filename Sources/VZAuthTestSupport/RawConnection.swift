public import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
public import NIOSSL

/// A TCP connection (plain, or TLS when given a configuration) for tests that need exact bytes: upgrades, oversized
/// heads, pipelining, hostile header fields.
public final class RawConnection: Sendable {
    private let channel: any Channel
    private let received: NIOLockedValueBox<[UInt8]>
    private let closed: NIOLockedValueBox<Bool>
    /// When each read arrived (on the event loop) and how many bytes had arrived by then.
    private let arrivals: NIOLockedValueBox<[(at: ContinuousClock.Instant, total: Int)]>

    /// Connects to 127.0.0.1:`port`; with `tlsConfiguration`, over TLS (the server's certificate checked for
    /// `serverHostname`, or for 127.0.0.1 without one).
    public init(group: any EventLoopGroup, port: Int, tlsConfiguration: TLSConfiguration? = nil,
                serverHostname: String? = nil) async throws {
        let sslContext = try tlsConfiguration.map(NIOSSLContext.init(configuration:))
        let received = NIOLockedValueBox<[UInt8]>([])
        let closed = NIOLockedValueBox(false)
        let arrivals = NIOLockedValueBox<[(at: ContinuousClock.Instant, total: Int)]>([])
        self.received = received
        self.closed = closed
        self.arrivals = arrivals
        channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
                    }
                    try channel.pipeline.syncOperations.addHandler(Collector(received: received, closed: closed, arrivals: arrivals))
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
    public var text: String { String(decoding: received.withLockedValue { $0 }, as: UTF8.self) }
    public var byteCount: Int { received.withLockedValue { $0.count } }
    public var isClosed: Bool { closed.withLockedValue { $0 } }

    /// When the bytes completing the first occurrence of `text` arrived, as the event loop read them: unlike a poll
    /// of ``text``, not delayed when the test's own task waits for a thread on a loaded machine.
    public func arrivalTime(of text: String) -> ContinuousClock.Instant? {
        let bytes = received.withLockedValue { $0 }
        let needle = Array(text.utf8)
        guard !needle.isEmpty, bytes.count >= needle.count else { return nil }
        guard let start = (0...(bytes.count - needle.count)).first(where: { bytes[$0..<($0 + needle.count)].elementsEqual(needle) })
        else { return nil }
        let end = start + needle.count
        return arrivals.withLockedValue { $0.first { $0.total >= end }?.at }
    }

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
        let received: NIOLockedValueBox<[UInt8]>
        let closed: NIOLockedValueBox<Bool>
        let arrivals: NIOLockedValueBox<[(at: ContinuousClock.Instant, total: Int)]>

        init(received: NIOLockedValueBox<[UInt8]>, closed: NIOLockedValueBox<Bool>,
             arrivals: NIOLockedValueBox<[(at: ContinuousClock.Instant, total: Int)]>) {
            self.received = received
            self.closed = closed
            self.arrivals = arrivals
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            let now = ContinuousClock.now
            let total = received.withLockedValue { received in
                received.append(contentsOf: buffer.readableBytesView)
                return received.count
            }
            arrivals.withLockedValue { $0.append((now, total)) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed.withLockedValue { $0 = true }
        }
    }
}
