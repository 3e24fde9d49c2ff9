import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small upstream for forwarder tests. Routes:
/// - `/echo...`: 200 with the request body as the response body, the request's method and URI in
///   `x-echo-method` / `x-echo-uri`.
/// - `/stream?count=N&delayMs=D`: a chunked response of N lines `line i\n`, one every D ms.
/// - `/status/NNN`: an empty response with that status.
/// - `/hangup`: closes the connection without answering.
/// - `/arm-drop`: answers like `/echo`, then drops the next request on the same connection unanswered.
/// - `/upgrade`: with `Upgrade: test-echo`, answers 101 and then echoes raw bytes.
/// Every request head is recorded.
final class TestUpstream: Sendable {
    let group: any EventLoopGroup
    private let channel: any Channel
    private let recorded = NIOLockedValueBox<[HTTPRequestHead]>([])
    private let connectionCount = NIOLockedValueBox(0)

    var port: Int { channel.localAddress!.port! }
    var heads: [HTTPRequestHead] { recorded.withLockedValue { $0 } }
    var connections: Int { connectionCount.withLockedValue { $0 } }

    init(group: any EventLoopGroup) async throws {
        self.group = group
        let recorded = self.recorded
        let connectionCount = self.connectionCount
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                connectionCount.withLockedValue { $0 += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    var limits = NIOHTTPDecoderLimitConfiguration()
                    limits.maxHeaderListSize = 1024 * 1024
                    limits.maxHeaderFieldSize = 1024 * 1024
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withErrorHandling: true, withEncoderConfiguration: .init(), withDecoderLimitConfiguration: limits)
                    try channel.pipeline.syncOperations.addHandler(TestUpstreamHandler(recorded: recorded))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func shutdown() async {
        try? await channel.close()
    }
}

private final class TestUpstreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let recorded: NIOLockedValueBox<[HTTPRequestHead]>
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    /// Set by `/arm-drop`: the next request on this connection is dropped without an answer (a connection the
    /// server closed while the proxy held it idle).
    private var dropNext = false

    init(recorded: NIOLockedValueBox<[HTTPRequestHead]>) {
        self.recorded = recorded
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
            recorded.withLockedValue { $0.append(head) }
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            guard let head else { return }
            respond(head, context: context)
        }
    }

    private func respond(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = String(head.uri.split(separator: "?").first ?? "")
        let query = Self.query(head.uri)
        if path == "/hangup" || dropNext {
            context.close(promise: nil)
            return
        }
        if path == "/arm-drop" { dropNext = true }
        if path == "/upgrade", head.headers["upgrade"].first == "test-echo" {
            let response = HTTPResponseHead(version: .http1_1, status: .switchingProtocols,
                                            headers: ["Connection": "Upgrade", "Upgrade": "test-echo"])
            context.write(wrapOutboundOut(.head(response)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            let pipeline = context.pipeline
            let sync = pipeline.syncOperations
            try? sync.addHandler(RawEchoHandler())
            if let handler = try? sync.handler(type: HTTPServerPipelineHandler.self) { sync.removeHandler(handler, promise: nil) }
            if let handler = try? sync.handler(type: HTTPServerProtocolErrorHandler.self) { sync.removeHandler(handler, promise: nil) }
            if let handler = try? sync.handler(type: NIOHTTPResponseHeadersValidator.self) { sync.removeHandler(handler, promise: nil) }
            if let handler = try? sync.handler(type: HTTPResponseEncoder.self) { sync.removeHandler(handler, promise: nil) }
            sync.removeHandler(self, promise: nil)
            if let handler = try? sync.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self) { sync.removeHandler(handler, promise: nil) }
            // Greet first, so the client sees upstream-initiated bytes too.
            context.channel.writeAndFlush(ByteBuffer(string: "hello from upstream\n"), promise: nil)
            return
        }
        if path == "/silent" {
            // Reads the request and never answers (an API server that hangs).
            return
        }
        if path.hasPrefix("/status/"), let code = Int(path.dropFirst("/status/".count)) {
            let response = HTTPResponseHead(version: .http1_1, status: .init(statusCode: code), headers: ["Content-Length": "0"])
            context.write(wrapOutboundOut(.head(response)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        if path == "/stream" {
            let count = Int(query["count"] ?? "3") ?? 3
            let delay = Int64(query["delayMs"] ?? "50") ?? 50
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Content-Type": "text/plain"]))), promise: nil)
            streamLine(0, of: count, delay: delay, context: context)
            return
        }
        var headers = HTTPHeaders()
        headers.add(name: "x-echo-method", value: head.method.rawValue)
        headers.add(name: "x-echo-uri", value: head.uri)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Connection", value: "keep-alive")
        headers.add(name: "X-Hop", value: "should-not-pass")
        headers.add(name: "Connection", value: "X-Hop")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func streamLine(_ index: Int, of count: Int, delay: Int64, context: ChannelHandlerContext) {
        guard index < count else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(delay)) {
            guard context.channel.isActive else { return }
            context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "line \(index)\n")))), promise: nil)
            self.streamLine(index + 1, of: count, delay: delay, context: context)
        }
    }

    static func query(_ uri: String) -> [String: String] {
        guard let queryStart = uri.firstIndex(of: "?") else { return [:] }
        var result: [String: String] = [:]
        for pair in uri[uri.index(after: queryStart)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            result[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return result
    }
}

private final class RawEchoHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(data, promise: nil)
    }
}
