import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Serves one HTTP/1.1 request at a time (pipelining assistance queues the rest) for ``ConsoleDouble``.
final class ConsoleDoubleHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let name = "ConsoleDoubleHTTPHandler"

    private let console: ConsoleDouble
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    /// Set while `POST /echo` streams the body back as it arrives.
    private var echoing = false

    init(console: ConsoleDouble) {
        self.console = console
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body = []
            self.echoing = head.method == .POST && Self.path(of: head.uri) == "/echo"
            if self.echoing {
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: head.headers.first(name: "Content-Type") ?? "application/octet-stream")
                if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
                let response = HTTPResponseHead(version: head.version, status: .ok, headers: headers)
                context.writeAndFlush(self.wrapOutboundOut(.head(response)), promise: nil)
            }
        case .body(let buffer):
            self.body.append(contentsOf: buffer.readableBytesView)
            if self.echoing, buffer.readableBytes > 0 {
                context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            }
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            let request = ConsoleDouble.Request(
                method: head.method.rawValue,
                uri: head.uri,
                headers: head.headers.map { ($0.name, $0.value) },
                body: self.body
            )
            self.body = []
            self.console.record(request)
            if self.echoing {
                self.echoing = false
                self.end(head: head, context: context)
                return
            }
            self.respond(to: request, head: head, context: context)
        }
    }

    private static func path(of uri: String) -> String {
        String(uri.prefix { $0 != "?" })
    }

    private func respond(to request: ConsoleDouble.Request, head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = request.path
        switch path {
        case "/set-cookie" where request.method == "GET":
            var cookies = ConsoleDouble.queryValues("cookie", in: request)
            if cookies.isEmpty { cookies = ["grafana_session=abc123; Path=/; HttpOnly"] }
            self.write(status: .ok, headers: cookies.map { ("Set-Cookie", $0) } + [("Content-Type", "text/plain")],
                       body: Array("cookie set\n".utf8), head: head, context: context)
        case _ where path.hasSuffix("/redirect") && request.method == "GET":
            let target = ConsoleDouble.queryValues("to", in: request).first ?? "/"
            let status = ConsoleDouble.queryValues("status", in: request).first.flatMap { Int($0) } ?? 302
            self.write(status: HTTPResponseStatus(statusCode: status), headers: [("Location", target)], body: [],
                       head: head, context: context)
        case "/stream" where request.method == "GET":
            let count = ConsoleDouble.queryValues("count", in: request).first.flatMap { Int($0) } ?? 5
            let delay = ConsoleDouble.queryValues("delayMs", in: request).first.flatMap { Int64($0) } ?? 100
            self.stream(count: max(0, count), delayMs: max(0, delay), head: head, context: context)
        default:
            let json = ConsoleDouble.identityJSON(for: request)
            self.write(status: .ok, headers: [("Content-Type", "application/json")], body: Array(json.utf8),
                       head: head, context: context)
        }
    }

    private func write(status: HTTPResponseStatus, headers: [(String, String)], body: [UInt8],
                       head: HTTPRequestHead, context: ChannelHandlerContext) {
        var responseHeaders = HTTPHeaders(headers)
        responseHeaders.replaceOrAdd(name: "Content-Length", value: String(body.count))
        if !head.isKeepAlive { responseHeaders.replaceOrAdd(name: "Connection", value: "close") }
        context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: responseHeaders))), promise: nil)
        if !body.isEmpty && head.method != .HEAD {
            context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        }
        self.end(head: head, context: context)
    }

    private func end(head: HTTPRequestHead, context: ChannelHandlerContext) {
        if head.isKeepAlive {
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let channel = context.channel
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
                channel.close(promise: nil)
            }
        }
    }

    /// Writes `line 1\n` ... `line <count>\n`, one every `delayMs`, as a chunked answer.
    private func stream(count: Int, delayMs: Int64, head: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders([("Content-Type", "text/plain"), ("Cache-Control", "no-cache")])
        if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        context.writeAndFlush(self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
        self.streamLine(1, of: count, delayMs: delayMs, head: head, context: context)
    }

    private func streamLine(_ index: Int, of count: Int, delayMs: Int64, head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard index <= count else {
            self.end(head: head, context: context)
            return
        }
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(index == 1 ? 0 : delayMs)) {
            guard context.channel.isActive else { return }
            context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "line \(index)\n")))), promise: nil)
            self.streamLine(index + 1, of: count, delayMs: delayMs, head: head, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A refused upgrade (not `/ws`) is reported here before the request is passed on as plain HTTP.
        if error is NIOWebSocketUpgradeError { return }
        context.close(promise: nil)
    }
}
