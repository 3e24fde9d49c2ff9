public import NIOCore

/// How long a proxied connection may wait, and for what.
public struct ForwardingTimeouts: Sendable, Hashable {
    /// How long a kept-alive client connection may wait for its next request. A connection past it is closed.
    public var idle: TimeAmount
    /// How long a client may take to send a request head: from the connection's start for the first request, and
    /// from the first bytes of a later one. A connection past it is closed (slow or stalled clients hold no
    /// connection for long).
    public var requestHead: TimeAmount
    /// How long the upstream may take to send a response head once the whole request reached it. Past it the
    /// client gets the policy's answer for an ``UpstreamResponseTimeout`` (504) and the upstream connection is
    /// closed. Long-running requests (watches, `logs -f`, exec, port-forward) are not affected: their head comes
    /// at once and their bodies may pause as long as they like.
    public var responseHead: TimeAmount

    /// Creates the timeouts (defaults: 120 s idle, 30 s for a request head, 60 s for a response head).
    public init(idle: TimeAmount = .seconds(120), requestHead: TimeAmount = .seconds(30),
                responseHead: TimeAmount = .seconds(60)) {
        self.idle = idle
        self.requestHead = requestHead
        self.responseHead = responseHead
    }
}

/// The upstream sent no response head within ``ForwardingTimeouts/responseHead`` of receiving the whole request.
public struct UpstreamResponseTimeout: Error, CustomStringConvertible {
    /// The timeout that passed.
    public var timeout: TimeAmount

    /// Creates the error.
    public init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    public var description: String {
        "the upstream sent no response within \(timeout.nanoseconds / 1_000_000_000) s"
    }
}
