import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOWebSocket

extension ConsoleDouble {
    /// Accepts WebSocket upgrades of `/ws` (any query); other upgrade requests are served as plain HTTP.
    /// The handshake request is recorded like any other request.
    func makeWebSocketUpgrader() -> NIOWebSocketServerUpgrader {
        NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 20,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                guard head.uri.prefix(while: { $0 != "?" }) == "/ws" else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                self.record(Request(
                    method: head.method.rawValue,
                    uri: head.uri,
                    headers: head.headers.map { ($0.name, $0.value) },
                    body: []
                ))
                return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
            },
            upgradePipelineHandler: { channel, _ in
                self.state.withLockedValue { $0.webSocketConnections += 1 }
                return channel.pipeline.removeHandler(name: ConsoleDoubleHTTPHandler.name).flatMap {
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ConsoleDoubleWebSocketHandler(console: self))
                    }
                }
            }
        )
    }

    func recordWebSocketText(_ text: String) {
        self.state.withLockedValue { $0.webSocketTexts.append(text) }
    }
}

/// Echoes text, binary and continuation frames as received, answers pings with pongs, and answers a close with a
/// close carrying the same code before closing the connection.
final class ConsoleDoubleWebSocketHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let console: ConsoleDouble
    private var closing = false
    /// Text being reassembled from fragments (for the record only).
    private var pendingText: [UInt8]?

    init(console: ConsoleDouble) {
        self.console = console
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary, .continuation:
            let payload = frame.unmaskedData
            if frame.opcode == .text { self.pendingText = [] }
            if self.pendingText != nil { self.pendingText! += payload.readableBytesView }
            if frame.fin, let text = self.pendingText {
                self.console.recordWebSocketText(String(decoding: text, as: UTF8.self))
                self.pendingText = nil
            }
            let echo = WebSocketFrame(fin: frame.fin, opcode: frame.opcode, data: payload)
            context.writeAndFlush(self.wrapOutboundOut(echo), promise: nil)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(self.wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            guard !self.closing else {
                context.close(promise: nil)
                return
            }
            self.closing = true
            var payload = frame.unmaskedData
            var reply = context.channel.allocator.buffer(capacity: 2)
            if let code = payload.readInteger(as: UInt16.self) {
                reply.writeInteger(code)
            } else {
                reply.write(webSocketErrorCode: .normalClosure)
            }
            let channel = context.channel
            context.writeAndFlush(self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: reply)))
                .whenComplete { _ in channel.close(promise: nil) }
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
