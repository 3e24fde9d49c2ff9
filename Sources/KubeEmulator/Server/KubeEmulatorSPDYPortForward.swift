import NIOCore
import NIOPosix

/// The server side of a SPDY/3.1 session speaking `portforward.k8s.io`, as a kubelet does.
///
/// Reads SPDY frames from a byte stream (a plain `SPDY/3.1` upgrade, or the bytes of a WebSocket tunnel).
/// Each forwarded connection is a pair of client-initiated streams sharing a `requestid`: `streamtype: error`
/// and `streamtype: data`, both with `port`. Once both are open the double connects to `127.0.0.1` at the
/// port ``KubeAPIEmulator/Configuration/portForwardTarget`` picks and relays bytes both ways. When the
/// target closes, both streams get FIN; if it cannot be reached, the error stream carries the message first.
/// PINGs are echoed; SETTINGS, WINDOW_UPDATE and HEADERS are accepted and ignored (no flow control).
final class KubeEmulatorSPDYPortForwardHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let namespace: String
    private let pod: String
    private let target: @Sendable (KubeAPIEmulator.PortForwardRequest) -> Int?
    private var codec: KubeEmulatorSPDYHeaderCodec?
    private var buffer = ByteBuffer()
    private var context: ChannelHandlerContext?
    /// Open client streams: which forwarded connection (request id) each belongs to.
    private var streams: [UInt32: String] = [:]
    private var connections: [String: KubeEmulatorForwardedConnection] = [:]

    init(namespace: String, pod: String, target: @escaping @Sendable (KubeAPIEmulator.PortForwardRequest) -> Int?) {
        self.namespace = namespace
        self.pod = pod
        self.target = target
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        do {
            self.codec = try KubeEmulatorSPDYHeaderCodec()
        } catch {
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        self.buffer.writeBuffer(&bytes)
        do {
            while let frame = try KubeEmulatorSPDYFrame.read(from: &self.buffer) {
                try self.handle(frame, context: context)
            }
            self.buffer.discardReadBytes()
        } catch {
            self.closeAll()
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.closeAll()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.closeAll()
        context.close(promise: nil)
    }

    // MARK: - Frames from the client

    private func handle(_ frame: KubeEmulatorSPDYFrame, context: ChannelHandlerContext) throws {
        switch frame {
        case .data(let streamID, let flags, let payload):
            self.received(payload, fin: flags & KubeEmulatorSPDYFrame.flagFin != 0, on: streamID)
        case .control(.synStream, let flags, var payload):
            guard let streamID = payload.readInteger(as: UInt32.self).map({ $0 & 0x7FFF_FFFF }),
                  payload.readInteger(as: UInt32.self) != nil,  // associated-to stream
                  payload.readInteger(as: UInt16.self) != nil   // priority, unused, slot
            else {
                throw KubeEmulatorSPDYError("short SYN_STREAM")
            }
            let headers = try self.codec!.decode(Array(payload.readableBytesView))
            try self.opened(streamID, headers: headers, fin: flags & KubeEmulatorSPDYFrame.flagFin != 0)
        case .control(.headers, _, var payload):
            guard payload.readInteger(as: UInt32.self) != nil else { throw KubeEmulatorSPDYError("short HEADERS") }
            _ = try self.codec!.decode(Array(payload.readableBytesView))  // keeps the zlib stream in step
        case .control(.rstStream, _, var payload):
            guard let streamID = payload.readInteger(as: UInt32.self).map({ $0 & 0x7FFF_FFFF }) else {
                throw KubeEmulatorSPDYError("short RST_STREAM")
            }
            if let requestID = self.streams[streamID], let connection = self.connections[requestID] {
                self.remove(connection)
                connection.tcp?.close(promise: nil)
            }
        case .control(.ping, _, _):
            self.send(frame)
        case .control(.goAway, _, _):
            self.closeAll()
            context.close(promise: nil)
        case .control:
            break  // SETTINGS, WINDOW_UPDATE, NOOP, unknown: nothing to do
        }
    }

    private func opened(_ streamID: UInt32, headers: [String: [String]], fin: Bool) throws {
        let type = headers["streamtype"]?.first
        guard let portText = headers["port"]?.first, let port = Int(portText), (1...65535).contains(port),
              type == "error" || type == "data"
        else {
            self.reset(streamID, status: KubeEmulatorSPDYFrame.protocolError)
            return
        }
        // Clients before requestid pair the error stream N with the data stream N + 2.
        let requestID = headers["requestid"]?.first ?? String(type == "error" ? streamID : streamID - 2)
        try self.sendReply(streamID)
        let connection = self.connections[requestID] ?? KubeEmulatorForwardedConnection(requestID: requestID, port: port)
        self.connections[requestID] = connection
        self.streams[streamID] = requestID
        if type == "error" {
            connection.errorStream = streamID
        } else {
            connection.dataStream = streamID
            connection.clientFinished = fin
        }
        if connection.errorStream != nil, connection.dataStream != nil {
            self.connect(connection)
        }
    }

    private func received(_ payload: ByteBuffer, fin: Bool, on streamID: UInt32) {
        guard let requestID = self.streams[streamID], let connection = self.connections[requestID],
              streamID == connection.dataStream
        else {
            return  // the error stream carries nothing from the client but its FIN
        }
        if payload.readableBytes > 0 {
            if let tcp = connection.tcp {
                tcp.writeAndFlush(payload, promise: nil)
            } else {
                connection.pending.append(payload)
            }
        }
        if fin {
            connection.clientFinished = true
            connection.tcp?.close(mode: .output, promise: nil)
        }
    }

    // MARK: - The target side

    private func connect(_ connection: KubeEmulatorForwardedConnection) {
        guard let context = self.context else { return }
        let request = KubeAPIEmulator.PortForwardRequest(namespace: self.namespace, pod: self.pod, port: connection.port)
        guard let port = self.target(request) else {
            self.fail(connection, "error forwarding port \(connection.port) to pod \(self.pod): no target for this port")
            return
        }
        let session = NIOLoopBound(self, eventLoop: context.eventLoop)
        let requestID = connection.requestID
        ClientBootstrap(group: context.eventLoop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        KubeEmulatorForwardRelay(session: session, requestID: requestID)
                    )
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    guard self.connections[requestID] === connection else {
                        channel.close(promise: nil)  // reset while connecting
                        return
                    }
                    connection.tcp = channel
                    for payload in connection.pending { channel.write(payload, promise: nil) }
                    connection.pending.removeAll()
                    channel.flush()
                    if connection.clientFinished { channel.close(mode: .output, promise: nil) }
                case .failure(let error):
                    self.fail(connection, "error forwarding port \(connection.port) to pod \(self.pod): dial tcp4 127.0.0.1:\(port): \(error)")
                }
            }
    }

    /// Bytes from the target, for the data stream.
    fileprivate func targetRead(_ bytes: ByteBuffer, requestID: String) {
        guard let connection = self.connections[requestID], let stream = connection.dataStream else { return }
        var bytes = bytes
        while bytes.readableBytes > 0 {
            let chunk = bytes.readSlice(length: min(bytes.readableBytes, 1 << 16))!
            self.send(.data(streamID: stream, flags: 0, payload: chunk))
        }
    }

    fileprivate func targetReadComplete() {
        self.context?.flush()
    }

    /// The target closed: end both streams, as the kubelet does when the forward returns.
    fileprivate func targetClosed(requestID: String) {
        guard let connection = self.connections[requestID] else { return }
        self.finish(connection)
    }

    private func fail(_ connection: KubeEmulatorForwardedConnection, _ message: String) {
        if let stream = connection.errorStream, let allocator = self.context?.channel.allocator {
            self.send(.data(streamID: stream, flags: 0, payload: allocator.buffer(string: message)))
        }
        self.finish(connection)
    }

    private func finish(_ connection: KubeEmulatorForwardedConnection) {
        self.remove(connection)
        for stream in [connection.dataStream, connection.errorStream].compactMap(\.self) {
            self.send(.data(streamID: stream, flags: KubeEmulatorSPDYFrame.flagFin, payload: ByteBuffer()))
        }
        self.context?.flush()
    }

    private func remove(_ connection: KubeEmulatorForwardedConnection) {
        self.connections[connection.requestID] = nil
        for stream in [connection.dataStream, connection.errorStream].compactMap(\.self) {
            self.streams[stream] = nil
        }
    }

    private func closeAll() {
        let connections = self.connections.values
        self.connections.removeAll()
        self.streams.removeAll()
        for connection in connections { connection.tcp?.close(promise: nil) }
    }

    // MARK: - Frames to the client

    private func send(_ frame: KubeEmulatorSPDYFrame) {
        guard let context = self.context else { return }
        var buffer = context.channel.allocator.buffer(capacity: 8 + 64)
        frame.write(to: &buffer)
        context.write(self.wrapOutboundOut(buffer), promise: nil)
    }

    private func sendReply(_ streamID: UInt32) throws {
        guard let context = self.context else { return }
        var payload = context.channel.allocator.buffer(capacity: 32)
        payload.writeInteger(streamID)
        payload.writeBytes(try self.codec!.encode([]))
        self.send(.control(type: .synReply, flags: 0, payload: payload))
    }

    private func reset(_ streamID: UInt32, status: UInt32) {
        guard let context = self.context else { return }
        var payload = context.channel.allocator.buffer(capacity: 8)
        payload.writeInteger(streamID)
        payload.writeInteger(status)
        self.send(.control(type: .rstStream, flags: 0, payload: payload))
    }
}

/// One forwarded connection: its two streams and the TCP connection to the target.
final class KubeEmulatorForwardedConnection {
    let requestID: String
    let port: Int
    var errorStream: UInt32?
    var dataStream: UInt32?
    var tcp: (any Channel)?
    /// Data received before the target connection was up.
    var pending: [ByteBuffer] = []
    /// The client sent FIN on the data stream.
    var clientFinished = false

    init(requestID: String, port: Int) {
        self.requestID = requestID
        self.port = port
    }
}

/// On the TCP connection to the target: hands its bytes and its end to the session (same event loop).
final class KubeEmulatorForwardRelay: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let session: NIOLoopBound<KubeEmulatorSPDYPortForwardHandler>
    private let requestID: String

    init(session: NIOLoopBound<KubeEmulatorSPDYPortForwardHandler>, requestID: String) {
        self.session = session
        self.requestID = requestID
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.session.value.targetRead(self.unwrapInboundIn(data), requestID: self.requestID)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.session.value.targetReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.session.value.targetClosed(requestID: self.requestID)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
