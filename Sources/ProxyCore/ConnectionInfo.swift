public import NIOCore

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
