public import NIOCore
public import NIOSSL

/// Where the proxy forwards requests: a host and port, reached over plain TCP or TLS.
///
/// Endpoints are long-lived: the TLS context (trust roots, client certificate) is built once, since building one is
/// expensive. Connections to the same endpoint are pooled per event loop under ``id``.
public final class UpstreamEndpoint: Sendable {
    /// A stable identity for pooling (`scheme://host:port` plus anything else that changes the connection).
    public let id: String
    /// Host name or IP address to connect to.
    public let host: String
    /// TCP port.
    public let port: Int
    /// The TLS context for `https` upstreams, `nil` for plain HTTP.
    public let tlsContext: NIOSSLContext?
    /// The name sent in SNI and checked against the server's certificate (defaults to ``host``).
    public let serverHostname: String?
    /// The value for the `Host` header sent upstream (`host`, or `host:port` for a non-default port).
    public let hostHeader: String

    /// Creates an endpoint.
    public init(host: String, port: Int, tlsContext: NIOSSLContext?, serverHostname: String? = nil, id: String? = nil) {
        self.host = host
        self.port = port
        self.tlsContext = tlsContext
        self.serverHostname = serverHostname
        let scheme = tlsContext == nil ? "http" : "https"
        let bracketed = host.contains(":") ? "[\(host)]" : host
        let defaultPort = tlsContext == nil ? 80 : 443
        self.hostHeader = port == defaultPort ? bracketed : "\(bracketed):\(port)"
        // Endpoints with different TLS contexts (trust, client certificate) never share a connection: a connection
        // made trusting one CA must not carry a request meant for a peer trusted by another.
        let trust = tlsContext.map { "#tls=" + String(UInt(bitPattern: ObjectIdentifier($0).hashValue), radix: 16) } ?? ""
        self.id = id ?? "\(scheme)://\(bracketed):\(port)#\(serverHostname ?? "")\(trust)"
    }

    /// The SNI and verification host name: the configured one, or the host unless it is an IP address
    /// (SNI must not carry an IP address).
    var sniHostname: String? {
        if let serverHostname { return serverHostname }
        let isIPAddress = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
        return isIPAddress ? nil : host
    }
}

extension UpstreamEndpoint {
    /// How long closing an upstream TLS connection waits for the server's `close_notify` (NIOSSL's default is 5 s,
    /// and an upstream that hung never sends one: the socket would stay open that long after the proxy gave up).
    public static let closeNotifyWait: TimeAmount = .milliseconds(500)

    /// The TLS context for upstream connections made with `configuration`, waiting at most ``closeNotifyWait`` for
    /// the server's `close_notify`.
    public static func tlsContext(_ configuration: TLSConfiguration) throws -> NIOSSLContext {
        var configuration = configuration
        configuration.shutdownTimeout = closeNotifyWait
        return try NIOSSLContext(configuration: configuration)
    }
}
