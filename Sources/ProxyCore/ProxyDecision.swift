public import NIOCore
public import NIOHTTP1

/// What a ``RequestPolicy`` decides to do with one incoming request.
public enum ProxyDecision: Sendable {
    /// Answer the request locally (an error, a CORS preflight, ...). The request body is read and dropped.
    case respond(LocalResponse)
    /// Forward the request upstream.
    case forward(ForwardPlan)
    /// Read the whole request body (bounded), then answer locally: for the few endpoints a proxy serves itself
    /// that take a body (a back-channel logout `POST`).
    case respondAfterBody(BodyReader)
}

/// How to answer a request from its whole body.
public struct BodyReader: Sendable {
    /// The most body bytes read; a larger body gets ``tooLarge`` at once.
    public var maximumBytes: Int
    /// The answer when the body exceeds ``maximumBytes``.
    public var tooLarge: LocalResponse
    /// Makes the answer from the body. The future should not fail; if it does, the client gets a 500.
    public var respond: @Sendable (ByteBuffer, any EventLoop) -> EventLoopFuture<LocalResponse>

    /// Creates a body reader.
    public init(maximumBytes: Int, tooLarge: LocalResponse,
                respond: @escaping @Sendable (ByteBuffer, any EventLoop) -> EventLoopFuture<LocalResponse>) {
        self.maximumBytes = maximumBytes
        self.tooLarge = tooLarge
        self.respond = respond
    }
}

/// A response the proxy makes itself.
public struct LocalResponse: Sendable {
    /// Status line code.
    public var status: HTTPResponseStatus
    /// Headers (framing headers are set by the proxy).
    public var headers: HTTPHeaders
    /// The whole body.
    public var body: ByteBuffer
    /// The identity to record in the access log, when one is known.
    public var logUser: String?
    /// A short, bounded reason for logs and metrics (e.g. `"expired"`), when the request was refused.
    public var refusalReason: String?

    /// Creates a response.
    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer(), logUser: String? = nil, refusalReason: String? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.logUser = logUser
        self.refusalReason = refusalReason
    }
}

/// How to forward one request.
public struct ForwardPlan: Sendable {
    /// The upstream to send the request to.
    public var upstream: UpstreamEndpoint
    /// The request head to send: path and headers as rewritten by the policy. The forwarder removed hop-by-hop
    /// headers before the policy saw the request and sends these headers as they are (adding only `Host` and the
    /// request's framing).
    public var head: HTTPRequestHead
    /// Headers set on the upstream's response before it reaches the client, replacing the upstream's own of the
    /// same name (CORS, `Cache-Control`).
    public var responseHeaders: HTTPHeaders
    /// Headers appended to the upstream's response, next to the upstream's own of the same name (`Set-Cookie`).
    public var appendedResponseHeaders: HTTPHeaders
    /// The identity to record in the access log.
    public var logUser: String?

    /// Creates a plan.
    public init(upstream: UpstreamEndpoint, head: HTTPRequestHead, responseHeaders: HTTPHeaders = [:],
                appendedResponseHeaders: HTTPHeaders = [:], logUser: String? = nil) {
        self.upstream = upstream
        self.head = head
        self.responseHeaders = responseHeaders
        self.appendedResponseHeaders = appendedResponseHeaders
        self.logUser = logUser
    }
}

/// Facts about the connection a request arrived on.
public struct ConnectionInfo: Sendable {
    /// The client's address, when known.
    public let remoteAddress: SocketAddress?
    /// Whether the connection is TLS.
    public let isTLS: Bool

    /// The client's IP address as text, for `X-Forwarded-For` and logs (computed once per connection).
    public let remoteIP: String?

    /// Creates connection facts.
    public init(remoteAddress: SocketAddress?, isTLS: Bool) {
        self.remoteAddress = remoteAddress
        self.isTLS = isTLS
        self.remoteIP = remoteAddress?.ipAddress
    }
}

/// A policy decides, per request, whether to answer locally or forward, and how.
///
/// The forwarder calls it on the connection's event loop. A decision that needs no I/O is returned as
/// `.immediate`; one that must wait (a key refetch, a lookup) as `.deferred` with a future on any event loop.
public protocol RequestPolicy: Sendable {
    /// Decides what to do with `head`, whose hop-by-hop headers are already removed (an upgrade request keeps
    /// `Connection: Upgrade` and `Upgrade`).
    func decide(_ head: HTTPRequestHead, connection: ConnectionInfo, eventLoop: any EventLoop) -> PolicyOutcome

    /// Makes the response for a failure of the forwarding itself (upstream unreachable, reset, ...).
    func upstreamFailureResponse(_ error: any Error, for head: HTTPRequestHead) -> LocalResponse

    /// Makes the response for a request the forwarder refuses itself, before or instead of forwarding it (`TRACE`,
    /// a `Connection` header naming a protected header, `Impersonate-*` in a trailer). The forwarder sets the
    /// refusal reason and, for a 405, the `Allow` header.
    func refusalResponse(_ refusal: ClientRequestRefusal, for head: HTTPRequestHead) -> LocalResponse
}

extension RequestPolicy {
    /// A plain-text answer with the refusal's status and message.
    public func refusalResponse(_ refusal: ClientRequestRefusal, for head: HTTPRequestHead) -> LocalResponse {
        LocalResponse(status: refusal.status, headers: ["Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"],
                      body: ByteBuffer(string: refusal.message + "\n"), refusalReason: refusal.reason)
    }
}

/// A decision now, or later.
public enum PolicyOutcome: Sendable {
    /// The decision is known.
    case immediate(ProxyDecision)
    /// The decision will be known when the future completes (a failed future becomes a 500).
    case deferred(EventLoopFuture<ProxyDecision>)
}
