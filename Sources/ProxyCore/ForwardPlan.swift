public import NIOCore
public import NIOHTTP1

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
