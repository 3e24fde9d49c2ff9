import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import TextEscaping

/// The loopback redirect server of a browser login (RFC 8252 §7.3): listens on `127.0.0.1` (port 0: any free
/// port), answers every request with a small HTML page, and completes with the first request that is this login's
/// callback (right `state`, with a `code` or an `error`). Other requests (wrong state, other paths, a favicon) are
/// refused and the server keeps waiting.
public final class LoopbackCallbackServer: Sendable {
    /// The outcome of the login, from the callback.
    public enum Outcome: Sendable, Hashable {
        /// The authorization code.
        case code(String)
        /// The provider's error.
        case providerError(error: String, description: String?)
    }

    private let channel: any Channel
    private let outcomes: AsyncStream<Outcome>
    private let continuation: AsyncStream<Outcome>.Continuation

    /// The port the server listens on.
    public let port: Int

    /// The redirect URI to send in the authorization request: `http://127.0.0.1:<port>/callback`.
    public var redirectURI: String {
        "http://127.0.0.1:\(self.port)\(CallbackRequest.path)"
    }

    /// Starts listening on `127.0.0.1:port` (0: a free port) for the callback of the login with `expectedState`.
    ///
    /// - Throws: ``KubeLoginError`` when the port cannot be bound.
    public static func start(port: Int = 0, expectedState: String) async throws(KubeLoginError) -> LoopbackCallbackServer {
        let (stream, continuation) = AsyncStream.makeStream(of: Outcome.self, bufferingPolicy: .bufferingOldest(1))
        let completed = NIOLockedValueBox(false)
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        CallbackHTTPHandler(expectedState: expectedState, completed: completed, continuation: continuation))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
        } catch {
            throw KubeLoginError(
                "cannot listen on 127.0.0.1:\(port) for the login callback: \(error); pass another --listen-port (or 0 for any)")
        }
        return LoopbackCallbackServer(channel: channel, stream: stream, continuation: continuation)
    }

    private init(channel: any Channel, stream: AsyncStream<Outcome>, continuation: AsyncStream<Outcome>.Continuation) {
        self.channel = channel
        self.outcomes = stream
        self.continuation = continuation
        self.port = channel.localAddress?.port ?? 0
    }

    /// Waits for the callback.
    ///
    /// - Throws: ``KubeLoginError`` when no callback arrived within `timeout`.
    public func waitForCallback(timeout: Duration) async throws(KubeLoginError) -> Outcome {
        let outcomes = self.outcomes
        let result: Outcome? = await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                var iterator = outcomes.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let result else {
            throw KubeLoginError(
                "no login arrived at \(self.redirectURI) within \(timeout.components.seconds) seconds; run the command again and finish the login in the browser")
        }
        return result
    }

    /// Stops listening.
    public func close() async {
        self.continuation.finish()
        try? await self.channel.close()
    }
}

/// Answers requests to the loopback server; hands the first callback of this login to the stream.
private final class CallbackHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let expectedState: String
    private let completed: NIOLockedValueBox<Bool>
    private let continuation: AsyncStream<LoopbackCallbackServer.Outcome>.Continuation
    private var head: HTTPRequestHead?

    init(expectedState: String, completed: NIOLockedValueBox<Bool>,
         continuation: AsyncStream<LoopbackCallbackServer.Outcome>.Continuation) {
        self.expectedState = expectedState
        self.completed = completed
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            let (status, title, message) = self.answer(head)
            self.respond(context: context, head: head, status: status, title: title, message: message)
        }
    }

    private func answer(_ head: HTTPRequestHead) -> (status: Int, title: String, message: String) {
        let request = CallbackRequest.evaluate(method: head.method.rawValue, uri: head.uri, expectedState: self.expectedState)
        let outcome: LoopbackCallbackServer.Outcome
        switch request {
        case .refused(let status, let message):
            return (status, "vzauth login", message)
        case .code(let code):
            outcome = .code(code)
        case .providerError(let error, let description):
            outcome = .providerError(error: error, description: description)
        }
        let first = self.completed.withLockedValue { completed in
            defer { completed = true }
            return !completed
        }
        guard first else {
            return (409, "vzauth login", "This login is already complete.")
        }
        self.continuation.yield(outcome)
        switch outcome {
        case .code:
            return (200, "Logged in", "You are logged in. You can close this window and return to the terminal.")
        case .providerError(let error, _):
            return (200, "Login failed", "The login failed (\(error)). Return to the terminal for details.")
        }
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead, status: Int, title: String, message: String) {
        let html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>\(HTMLText.escaped(title))</title></head>"
            + "<body><h1>\(HTMLText.escaped(title))</h1><p>\(HTMLText.escaped(message))</p></body></html>"
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
        headers.add(name: "Content-Length", value: String(html.utf8.count))
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "Connection", value: "close")
        context.write(self.wrapOutboundOut(.head(HTTPResponseHead(
            version: head.version, status: HTTPResponseStatus(statusCode: status), headers: headers))), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: html)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

}
