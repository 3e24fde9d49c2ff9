public import NIOCore
public import NIOHTTP1
import NIOConcurrencyHelpers
import NIOPosix
public import NIOSSL

/// An upstream for hostile-input tests: records every byte each connection receives, exactly as it arrived, and
/// answers every request it parses (with NIO's HTTP/1 decoder, as a typical server would) with
/// `200 OK` and the body `ok`.
///
/// Tests compare the recorded bytes with the exact request the proxy should have sent, so a smuggled request or an
/// unframed body shows as bytes that should not be there, whatever the server made of them. Over TLS (a managed
/// cluster's API proxy as the admin proxy sees it), the bytes recorded are those inside the TLS stream.
public final class WireRecordingUpstream: Sendable {
    /// One request as the upstream's decoder understood it.
    public struct ParsedRequest: Sendable, Equatable {
        /// Method, target and headers, in order.
        public var head: HTTPRequestHead
        /// The whole body.
        public var body: String
    }

    private let channel: any Channel
    private let connections = NIOLockedValueBox<[ConnectionRecord]>([])

    /// The port on 127.0.0.1.
    public var port: Int { channel.localAddress!.port! }

    /// Starts listening on 127.0.0.1 (an ephemeral port), over TLS with `tlsConfiguration` if given.
    public init(group: any EventLoopGroup, tlsConfiguration: TLSConfiguration? = nil) async throws {
        let connections = self.connections
        let sslContext = try tlsConfiguration.map(NIOSSLContext.init(configuration:))
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let record = ConnectionRecord()
                connections.withLockedValue { $0.append(record) }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let sslContext { try sync.addHandler(NIOSSLServerHandler(context: sslContext)) }
                    try sync.addHandler(ByteRecorder(record: record))
                    try sync.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    try sync.addHandler(HTTPResponseEncoder())
                    try sync.addHandler(Answerer(record: record))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// Stops listening and closes the connections.
    public func shutdown() async {
        try? await channel.close()
    }

    /// How many connections the upstream accepted.
    public var connectionCount: Int { connections.withLockedValue { $0.count } }

    /// The bytes each connection received, in the order the connections were accepted.
    public var receivedBytes: [String] {
        connections.withLockedValue { $0.map { String(decoding: $0.bytes.withLockedValue { $0 }, as: UTF8.self) } }
    }

    /// Everything received on every connection, one after the other.
    public var allReceived: String { receivedBytes.joined() }

    /// The requests the upstream's decoder parsed, over all connections.
    public var parsedRequests: [ParsedRequest] {
        connections.withLockedValue { $0.flatMap { $0.requests.withLockedValue { $0 } } }
    }

    /// Forgets what was recorded so far (connections stay open).
    public func clear() {
        connections.withLockedValue { records in
            for record in records {
                record.bytes.withLockedValue { $0.removeAll() }
                record.requests.withLockedValue { $0.removeAll() }
            }
        }
    }

    /// Waits until `condition` holds, at most `timeout`.
    @discardableResult
    public func waitFor(timeout: Duration = .seconds(5), _ condition: (WireRecordingUpstream) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition(self)
    }

    private final class ConnectionRecord: Sendable {
        let bytes = NIOLockedValueBox<[UInt8]>([])
        let requests = NIOLockedValueBox<[ParsedRequest]>([])
    }

    private final class ByteRecorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        let record: ConnectionRecord

        init(record: ConnectionRecord) {
            self.record = record
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            record.bytes.withLockedValue { $0.append(contentsOf: buffer.readableBytesView) }
            context.fireChannelRead(data)
        }
    }

    private final class Answerer: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let record: ConnectionRecord
        private var head: HTTPRequestHead?
        private var body = ""

        init(record: ConnectionRecord) {
            self.record = record
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = ""
            case .body(let buffer):
                body += String(buffer: buffer)
            case .end:
                guard let head else { return }
                record.requests.withLockedValue { $0.append(ParsedRequest(head: head, body: body)) }
                self.head = nil
                let headers = HTTPHeaders([("Content-Length", "2"), ("Content-Type", "text/plain")])
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "ok")))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
