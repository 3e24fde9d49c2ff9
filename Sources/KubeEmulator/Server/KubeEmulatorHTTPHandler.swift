import Synchronization
import Foundation
import NIOCore
import NIOHTTP1

/// Reads whole requests, records them, and writes the double's responses (complete or streamed).
final class KubeEmulatorHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The pipeline name, so the WebSocket upgrade can remove this handler.
    static let name = "kube-api-server-double-http"

    private let server: KubeAPIEmulator
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var streamWriter: KubeEmulatorStreamWriter?
    /// The id of the request held on this connection (an injected fault), if any.
    private var heldID: Int?

    init(server: KubeAPIEmulator) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body.clear()
        case .body(var chunk):
            self.body.writeBuffer(&chunk)
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            let body = self.body
            self.body = ByteBuffer()
            self.server.record(KubeRecordedRequest(
                method: head.method.rawValue,
                uri: head.uri,
                headers: head.headers.map { KubeRecordedRequest.Header(name: $0.name, value: $0.value) },
                body: Array(body.readableBytesView)
            ))
            let request = KubeEmulatorRequest(head: head, body: body)
            let response = self.server.respond(to: request)
            let delay = self.server.state.withLock { $0.responseDelay }
            if delay > .zero {
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: delay) {
                    let (handler, context) = loopBound.value
                    handler.write(response, keepAlive: head.isKeepAlive, context: context)
                }
            } else {
                self.write(response, keepAlive: head.isKeepAlive, context: context)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.streamWriter?.connectionClosed()
        self.streamWriter = nil
        if let heldID = self.heldID {
            self.server.heldConnectionClosed(heldID)
            self.heldID = nil
        }
        context.fireChannelInactive()
    }

    private func write(_ response: KubeEmulatorResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Audit-Id", value: UUID().uuidString.lowercased())
        headers.add(name: "Cache-Control", value: "no-cache, private")
        switch response {
        case .full(let status, let contentType, let body):
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: String(body.readableBytes))
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            if body.readableBytes > 0 {
                context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            }
            let done = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
            if !keepAlive {
                let channel = context.channel
                done.whenComplete { _ in channel.close(promise: nil) }
            }
        case .stream(let contentType, let start):
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Transfer-Encoding", value: "chunked")
            context.writeAndFlush(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            let writer = KubeEmulatorStreamWriter(channel: context.channel)
            self.streamWriter = writer
            start(writer)
        case .hold(let head, let partialBody):
            self.heldID = self.server.holdConnection(context.channel)
            guard let head else { return }
            headers.add(name: "Content-Type", value: head.contentType)
            if let length = head.contentLength {
                headers.add(name: "Content-Length", value: String(length))
            } else {
                headers.add(name: "Transfer-Encoding", value: "chunked")
            }
            context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: head.status, headers: headers))), promise: nil)
            if partialBody.readableBytes > 0 {
                context.write(self.wrapOutboundOut(.body(.byteBuffer(partialBody))), promise: nil)
            }
            context.flush()
        }
    }
}
