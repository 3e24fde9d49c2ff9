public import NIOSSL

/// Where a ready managed cluster's API proxy is and how to trust it.
public struct ClusterEndpoint: Sendable, Hashable {
    /// Whose certificates to trust for the managed cluster's API proxy.
    public enum Trust: Sendable, Hashable {
        /// The system roots (the VMC names no `spec.caSecret`).
        case systemRoots
        /// The CA certificate(s) from the Secret of this name (key `cacrt`), and only those.
        case certificateAuthority(secret: String, certificates: [NIOSSLCertificate])
    }

    /// `status.apiUrl` as registered, without a trailing `/`.
    public var url: String
    /// The host name or IP address (IPv6 without brackets); also the name the certificate is verified against.
    public var host: String
    /// The port (443 unless the URL names one).
    public var port: Int
    /// A path in front of every forwarded target (empty, or starting with `/` and without a trailing `/`).
    public var basePath: String
    /// Whose certificates to trust.
    public var trust: Trust

    /// Creates an endpoint.
    public init(url: String, host: String, port: Int, basePath: String, trust: Trust) {
        self.url = url
        self.host = host
        self.port = port
        self.basePath = basePath
        self.trust = trust
    }

    /// A client TLS configuration for this endpoint: full certificate verification (the host name is checked by the
    /// connection, which sends ``host`` as SNI unless it is an IP address) against ``trust``. Never anything
    /// weaker: there is no insecure fallback.
    public func tlsConfiguration() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        switch self.trust {
        case .systemRoots:
            configuration.trustRoots = .default
        case .certificateAuthority(_, let certificates):
            configuration.trustRoots = .certificates(certificates)
        }
        return configuration
    }
}
