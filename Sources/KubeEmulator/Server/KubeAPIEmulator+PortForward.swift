import Foundation
import NIOCore
import NIOHTTP1
import NIOWebSocket

extension KubeAPIEmulator {
    /// One connection `kubectl port-forward` forwards: to `port` of pod `namespace/pod`.
    public struct PortForwardRequest: Sendable, Hashable {
        /// The namespace.
        public var namespace: String
        /// The pod.
        public var pod: String
        /// The pod port the client asked for.
        public var port: Int

        /// Creates a request.
        public init(namespace: String, pod: String, port: Int) {
            self.namespace = namespace
            self.pod = pod
            self.port = port
        }
    }

    /// The stream protocol of `pods/NAME/portforward`.
    static let portForwardProtocol = "portforward.k8s.io"
    /// The WebSocket subprotocol of the SPDY tunnel kubectl 1.30+ uses by default.
    static let portForwardTunnelProtocol = "SPDY/3.1+portforward.k8s.io"

    /// The pod of an authenticated, authorized port-forward upgrade for an existing pod, or `nil`.
    /// Records the request when it is accepted.
    private func acceptPortForward(_ head: HTTPRequestHead) -> (namespace: String, pod: String)? {
        let request = KubeEmulatorRequest(head: head, body: ByteBuffer())
        guard let route = try? self.resourceRoute(request.segments), route.type.resource == "pods",
              route.subresource == "portforward", let namespace = route.namespace, let pod = route.name,
              let user = try? self.effectiveUser(request),
              (try? self.authorizeUpgrade(request, user: user, route: route)) != nil,
              (try? self.storedObject(route)) != nil
        else {
            return nil
        }
        self.record(KubeRecordedRequest(
            method: head.method.rawValue,
            uri: head.uri,
            headers: head.headers.map { KubeRecordedRequest.Header(name: $0.name, value: $0.value) },
            body: []
        ))
        return (namespace, pod)
    }

    /// Whether a WebSocket handshake is for `pods/NAME/portforward` (whether or not it will be accepted).
    func isPortForward(_ head: HTTPRequestHead) -> Bool {
        let request = KubeEmulatorRequest(head: head, body: ByteBuffer())
        guard let route = try? self.resourceRoute(request.segments) else { return false }
        return route.type.resource == "pods" && route.subresource == "portforward"
    }

    /// The response headers for an acceptable WebSocket port-forward handshake (offering the SPDY tunnel
    /// subprotocol), or `nil`.
    func acceptPortForwardWebSocket(_ head: HTTPRequestHead) -> HTTPHeaders? {
        let offered = head.headers["Sec-WebSocket-Protocol"]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard offered.contains(Self.portForwardTunnelProtocol), self.acceptPortForward(head) != nil else {
            return nil
        }
        return HTTPHeaders([("Sec-WebSocket-Protocol", Self.portForwardTunnelProtocol)])
    }

    /// After the WebSocket handshake: SPDY over the WebSocket's binary messages.
    func installPortForwardWebSocket(channel: any Channel, head: HTTPRequestHead) -> EventLoopFuture<Void> {
        let request = KubeEmulatorRequest(head: head, body: ByteBuffer())
        guard let route = try? self.resourceRoute(request.segments), let namespace = route.namespace, let pod = route.name else {
            return channel.close()
        }
        let target = self.configuration.portForwardTarget
        return channel.pipeline.removeHandler(name: KubeEmulatorHTTPHandler.name).flatMap {
            channel.eventLoop.makeCompletedFuture {
                let sync = channel.pipeline.syncOperations
                try sync.addHandler(KubeEmulatorWebSocketByteStream())
                try sync.addHandler(KubeEmulatorSPDYPortForwardHandler(namespace: namespace, pod: pod, target: target))
            }
        }
    }

    /// The plain `Upgrade: SPDY/3.1` upgrader (`KUBECTL_PORT_FORWARD_WEBSOCKETS=false`, older clients).
    func makeSPDYUpgrader() -> KubeEmulatorSPDYUpgrader {
        KubeEmulatorSPDYUpgrader(server: self)
    }

    fileprivate func acceptPortForwardSPDY(_ head: HTTPRequestHead) -> (namespace: String, pod: String)? {
        let versions = head.headers["X-Stream-Protocol-Version"]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard versions.contains(Self.portForwardProtocol) else { return nil }
        return self.acceptPortForward(head)
    }
}

/// Upgrades `pods/NAME/portforward` to SPDY/3.1 with `X-Stream-Protocol-Version: portforward.k8s.io`.
/// Requests it declines fall through to the HTTP handler, which answers with an error `Status`.
struct KubeEmulatorSPDYUpgrader: HTTPServerProtocolUpgrader, Sendable {
    let server: KubeAPIEmulator

    var supportedProtocol: String { "SPDY/3.1" }
    var requiredUpgradeHeaders: [String] { [] }

    func buildUpgradeResponse(
        channel: any Channel,
        upgradeRequest: HTTPRequestHead,
        initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        guard self.server.acceptPortForwardSPDY(upgradeRequest) != nil else {
            return channel.eventLoop.makeFailedFuture(KubeEmulatorSPDYError("not a port-forward upgrade the double accepts"))
        }
        var headers = initialResponseHeaders
        headers.add(name: "X-Stream-Protocol-Version", value: KubeAPIEmulator.portForwardProtocol)
        return channel.eventLoop.makeSucceededFuture(headers)
    }

    func upgrade(context: ChannelHandlerContext, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Void> {
        let request = KubeEmulatorRequest(head: upgradeRequest, body: ByteBuffer())
        guard let route = try? self.server.resourceRoute(request.segments), let namespace = route.namespace,
              let pod = route.name
        else {
            return context.eventLoop.makeFailedFuture(KubeEmulatorSPDYError("not a port-forward path"))
        }
        let pipeline = context.pipeline
        let target = self.server.configuration.portForwardTarget
        return pipeline.removeHandler(name: KubeEmulatorHTTPHandler.name).flatMapThrowing {
            try pipeline.syncOperations.addHandler(
                KubeEmulatorSPDYPortForwardHandler(namespace: namespace, pod: pod, target: target)
            )
        }
    }
}

/// Turns a WebSocket into a byte stream, as client-go's `TunnelingConnection` does: the payloads of inbound
/// binary messages (and their continuation frames) are passed on in order, and each outbound buffer is sent
/// as one binary message. Answers pings and close frames.
final class KubeEmulatorWebSocketByteStream: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    private var inTextMessage = false
    private var closing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .continuation:
            if frame.opcode == .binary { self.inTextMessage = false }
            if !self.inTextMessage, frame.length > 0 {
                context.fireChannelRead(self.wrapInboundOut(frame.unmaskedData))
            }
        case .text:
            self.inTextMessage = true  // not part of the tunnel
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(self.wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            if !self.closing {
                self.closing = true
                var code = context.channel.allocator.buffer(capacity: 2)
                code.write(webSocketErrorCode: .normalClosure)
                let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: code)
                let channel = context.channel
                context.writeAndFlush(self.wrapOutboundOut(close)).whenComplete { _ in
                    channel.close(promise: nil)
                }
            } else {
                context.close(promise: nil)
            }
        default:
            break
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !self.closing else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        let frame = WebSocketFrame(fin: true, opcode: .binary, data: self.unwrapOutboundIn(data))
        context.write(self.wrapOutboundOut(frame), promise: promise)
    }
}
