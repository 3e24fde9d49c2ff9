import NIOCore
import NIOEmbedded

/// The upstream side of ``InMemoryForwarding``: the pool's connector makes an `EmbeddedChannel` per upstream
/// connection; what the proxy writes on it is recorded, parsed strictly, and every complete request is answered.
///
/// Confined to the harness's event loop.
final class InMemoryUpstreamServer {
    /// One upstream connection and what the server made of it.
    final class Peer {
        let index: Int
        let channel: EmbeddedChannel
        let socket: EmulatedSocket
        /// Every byte the proxy sent.
        var bytes: [UInt8] = []
        /// Where the bytes not yet parsed into a complete request start.
        var parsedEnd = 0
        /// The complete requests, in order.
        var requests: [InMemoryForwarding.UpstreamRequest] = []
        /// The request the bytes end inside, once its head is whole.
        var partial: InMemoryForwarding.UpstreamRequest?
        /// Why parsing stopped; nothing more is parsed or answered on this connection.
        var parseError: String?
        /// Answers not yet read by the proxy.
        var responses: [[UInt8]] = []
        /// The connection was still open when the run ended: the harness (or the pool shutting down) closed it.
        var closedByHarness = false
        /// Completed once the connection counts as connected.
        var connectPromise: EventLoopPromise<Void>?

        init(index: Int, channel: EmbeddedChannel, socket: EmulatedSocket) {
            self.index = index
            self.channel = channel
            self.socket = socket
        }

        /// The proxy closed the connection.
        var closedByProxy: Bool { socket.closed && !closedByHarness }
    }

    private let loop: EmbeddedEventLoop
    private let response: [UInt8]
    private(set) var peers: [Peer] = []

    init(loop: EmbeddedEventLoop, response: [UInt8]) {
        self.loop = loop
        self.response = response
    }

    /// The pool's connector: a channel whose pipeline ends with `connection`, connected on the next loop turn.
    func connect(_ endpoint: UpstreamEndpoint, _ connection: UpstreamConnection) -> EventLoopFuture<Void> {
        let channel = EmbeddedChannel(loop: loop)
        let socket = EmulatedSocket()
        do {
            let sync = channel.pipeline.syncOperations
            try sync.addHandler(socket)
            try sync.addHandler(connection)
        } catch {
            return loop.makeFailedFuture(error)
        }
        let peer = Peer(index: peers.count, channel: channel, socket: socket)
        peers.append(peer)
        let promise = loop.makePromise(of: Void.self)
        peer.connectPromise = promise
        let address = try? SocketAddress(ipAddress: "198.51.100.1", port: endpoint.port)
        loop.assumeIsolated().execute {
            guard let promise = peer.connectPromise else { return }
            peer.connectPromise = nil
            guard let address, !socket.closed else {
                promise.fail(ChannelError.ioOnClosedChannel)
                return
            }
            channel.connect(to: address, promise: nil)
            // Auto-read, as a socket channel does once active.
            channel.read()
            promise.succeed(())
        }
        return promise.futureResult
    }

    /// Collects what the proxy wrote on every connection and parses it; queues an answer per complete request.
    /// Returns whether anything was written.
    func collect() -> Bool {
        var progressed = false
        for peer in peers {
            var wrote = false
            while true {
                let output: IOData?
                do {
                    output = try peer.channel.readOutbound(as: IOData.self)
                } catch {
                    peer.parseError = peer.parseError ?? "the proxy wrote something that is not bytes: \(error)"
                    wrote = true
                    continue
                }
                guard let output else { break }
                wrote = true
                if case .byteBuffer(let buffer) = output {
                    peer.bytes += buffer.readableBytesView
                } else {
                    peer.parseError = peer.parseError ?? "the proxy wrote a file region"
                }
            }
            if wrote {
                parse(peer)
                progressed = true
            }
        }
        return progressed
    }

    private func parse(_ peer: Peer) {
        while peer.parseError == nil, peer.parsedEnd < peer.bytes.count {
            switch StrictRequestParser.parse(peer.bytes, from: peer.parsedEnd, connection: peer.index) {
            case .complete(let request, let end):
                peer.requests.append(request)
                peer.parsedEnd = end
                peer.partial = nil
                peer.responses.append(answer(to: request))
            case .incomplete(let request):
                peer.partial = request
                return
            case .malformed(let reason):
                peer.parseError = "request \(peer.requests.count + 1) (byte \(peer.parsedEnd)): \(reason)"
                peer.partial = nil
                return
            }
        }
        peer.partial = nil
    }

    /// The configured answer; without its body for a `HEAD` request.
    private func answer(to request: InMemoryForwarding.UpstreamRequest) -> [UInt8] {
        guard request.method == "HEAD" else { return response }
        let end = Array("\r\n\r\n".utf8)
        var index = 0
        while index + end.count <= response.count {
            if Array(response[index..<(index + end.count)]) == end { return Array(response[..<(index + end.count)]) }
            index += 1
        }
        return response
    }

    /// Delivers one queued answer on every connection whose proxy side asked for a read. Returns whether it
    /// delivered (or dropped) anything.
    func deliverResponses() -> Bool {
        var progressed = false
        for peer in peers where !peer.responses.isEmpty {
            guard peer.channel.isActive else {
                peer.responses.removeAll()
                progressed = true
                continue
            }
            guard peer.socket.readRequested else { continue }
            peer.socket.readRequested = false
            let bytes = peer.responses.removeFirst()
            _ = try? peer.channel.writeInbound(peer.channel.allocator.buffer(bytes: bytes))
            if peer.channel.isActive { peer.channel.read() }
            progressed = true
        }
        return progressed
    }

    /// From now on, closing a connection that is still open counts as the harness's doing, not the proxy's.
    func markOpenConnectionsClosedByHarness() {
        for peer in peers where !peer.socket.closed { peer.closedByHarness = true }
    }

    /// Closes every connection still open (the end of a run).
    func closeAll() {
        markOpenConnectionsClosedByHarness()
        for peer in peers where !peer.socket.closed { peer.channel.close(promise: nil) }
    }

    /// Fails connects that never completed (the loop stopped before their turn).
    func failPendingConnects() {
        for peer in peers {
            peer.connectPromise?.fail(ChannelError.ioOnClosedChannel)
            peer.connectPromise = nil
        }
    }
}
