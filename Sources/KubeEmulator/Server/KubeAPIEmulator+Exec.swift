import Foundation
import NIOCore
import NIOHTTP1
import NIOWebSocket

extension KubeAPIEmulator {
    /// The WebSocket subprotocols `exec` and `attach` speak, most preferred first.
    static let streamProtocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"]

    /// Accepts WebSocket upgrades of `pods/NAME/exec` and `pods/NAME/attach` that are authenticated, authorized,
    /// for an existing pod, and offer `v5.channel.k8s.io` or `v4.channel.k8s.io`. Anything else is left to the
    /// HTTP handler, which answers with the proper error `Status`.
    func makeWebSocketUpgrader() -> NIOWebSocketServerUpgrader {
        NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 20,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                channel.eventLoop.makeSucceededFuture(self.acceptPortForwardWebSocket(head) ?? self.acceptUpgrade(head))
            },
            upgradePipelineHandler: { channel, head in
                if self.isPortForward(head) {
                    return self.installPortForwardWebSocket(channel: channel, head: head)
                }
                guard let exec = self.execSession(head) else {
                    return channel.close()
                }
                return channel.pipeline.removeHandler(name: KubeEmulatorHTTPHandler.name).flatMap {
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(KubeEmulatorExecHandler(session: exec))
                    }
                }
            }
        )
    }

    private func acceptUpgrade(_ head: HTTPRequestHead) -> HTTPHeaders? {
        let request = KubeEmulatorRequest(head: head, body: ByteBuffer())
        guard let exec = self.execSession(head),
              let user = try? self.effectiveUser(request),
              let route = try? self.resourceRoute(request.segments),
              (try? self.authorizeUpgrade(request, user: user, route: route)) != nil,
              (try? self.storedObject(KubeEmulatorResourceRoute(type: route.type, namespace: route.namespace, name: route.name))) != nil
        else {
            return nil
        }
        self.record(KubeRecordedRequest(
            method: head.method.rawValue,
            uri: head.uri,
            headers: head.headers.map { KubeRecordedRequest.Header(name: $0.name, value: $0.value) },
            body: []
        ))
        return HTTPHeaders([("Sec-WebSocket-Protocol", exec.subprotocol)])
    }

    /// The exec/attach session a handshake asks for, or `nil` if it is not one the double serves.
    private func execSession(_ head: HTTPRequestHead) -> KubeEmulatorExecSession? {
        let request = KubeEmulatorRequest(head: head, body: ByteBuffer())
        guard let route = try? self.resourceRoute(request.segments), route.type.resource == "pods",
              let subresource = route.subresource, subresource == "exec" || subresource == "attach",
              let namespace = route.namespace, let pod = route.name
        else {
            return nil
        }
        let offered = head.headers["Sec-WebSocket-Protocol"]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard let subprotocol = offered.first(where: { Self.streamProtocols.contains($0) }) else {
            return nil
        }
        let execRequest = ExecRequest(
            namespace: namespace,
            pod: pod,
            container: request.queryValue("container"),
            command: request.queryValues("command"),
            stdin: request.queryFlag("stdin"),
            tty: request.queryFlag("tty")
        )
        let result = subresource == "exec" ? self.configuration.exec(execRequest) : ExecResult()
        return KubeEmulatorExecSession(request: execRequest, result: result, subprotocol: subprotocol)
    }
}

/// What one exec/attach connection does.
struct KubeEmulatorExecSession: Sendable {
    var request: KubeAPIEmulator.ExecRequest
    var result: KubeAPIEmulator.ExecResult
    var subprotocol: String
}

/// Speaks the Kubernetes stream protocol over WebSocket binary messages whose first byte is the channel:
/// 0 stdin, 1 stdout, 2 stderr, 3 error (a `Status`), 4 resize, 255 close (v5).
///
/// Writes the canned stdout and stderr, echoes stdin to stdout, then (at once without stdin, or when the
/// client closes stdin) sends the final `Status` on channel 3 and closes the WebSocket.
final class KubeEmulatorExecHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let session: KubeEmulatorExecSession
    private var finished = false

    init(session: KubeEmulatorExecSession) {
        self.session = session
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if !self.session.result.stdout.isEmpty {
            self.send(channel: 1, ByteBuffer(string: self.session.result.stdout), context: context)
        }
        if !self.session.result.stderr.isEmpty {
            self.send(channel: 2, ByteBuffer(string: self.session.result.stderr), context: context)
        }
        context.flush()
        if !self.session.request.stdin {
            self.finish(context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch frame.opcode {
        case .binary:
            var data = frame.unmaskedData
            guard let channel = data.readInteger(as: UInt8.self) else { return }
            if channel == 0, data.readableBytes > 0 {
                self.send(channel: 1, data, context: context)
                context.flush()
            } else if channel == 255, data.readInteger(as: UInt8.self) == 0 {
                self.finish(context: context)
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(self.wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            if !self.finished {
                self.finished = true
                var code = context.channel.allocator.buffer(capacity: 2)
                code.write(webSocketErrorCode: .normalClosure)
                context.writeAndFlush(self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: code)), promise: nil)
            }
            context.close(promise: nil)
        default:
            break
        }
    }

    private func send(channel: UInt8, _ payload: ByteBuffer, context: ChannelHandlerContext) {
        var data = context.channel.allocator.buffer(capacity: payload.readableBytes + 1)
        data.writeInteger(channel)
        data.writeImmutableBuffer(payload)
        context.write(self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: data)), promise: nil)
    }

    private func finish(context: ChannelHandlerContext) {
        guard !self.finished else { return }
        self.finished = true
        let exitCode = self.session.result.exitCode
        let status: KubeEmulatorJSON = exitCode == 0
            ? ["metadata": [:], "status": "Success"]
            : [
                "metadata": [:], "status": "Failure",
                "message": .string("command terminated with non-zero exit code: error executing command \(self.session.request.command), exit code \(exitCode)"),
                "reason": "NonZeroExitCode",
                "details": ["causes": [["reason": "ExitCode", "message": .string(String(exitCode))]]],
            ]
        self.send(channel: 3, status.buffer, context: context)
        var code = context.channel.allocator.buffer(capacity: 2)
        code.write(webSocketErrorCode: .normalClosure)
        context.writeAndFlush(self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: code)), promise: nil)
        let channel = context.channel
        channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
    }
}
