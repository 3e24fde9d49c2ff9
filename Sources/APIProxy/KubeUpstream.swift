public import KubeClient
import NIOSSL
public import ProxyCore

/// The Kubernetes API server as an upstream of the proxy, with the proxy's own credential.
public struct KubeUpstream: Sendable {
    /// Where to forward.
    public var endpoint: UpstreamEndpoint
    /// The proxy's credential (a rotating service-account token, a static token, or none with client certificates).
    public var credential: any UpstreamCredential
    /// A path prefix of the API server URL (rarely anything but empty).
    public var basePath: String

    /// Builds the upstream from a connection loaded from a kubeconfig or the in-cluster configuration.
    public init(connection: KubeConnection) throws {
        let tlsContext = try connection.tlsConfiguration.map(UpstreamEndpoint.tlsContext)
        endpoint = UpstreamEndpoint(host: connection.host, port: connection.port,
                                    tlsContext: connection.usesTLS ? tlsContext : nil,
                                    serverHostname: connection.verificationHostname)
        credential = KubeConnectionCredential(connection: connection)
        basePath = connection.basePath
    }
}

/// The proxy's credential: a fixed header value made once, or read per request from the rotating token file or
/// the exec plugin's cached token.
private struct KubeConnectionCredential: UpstreamCredential {
    let connection: KubeConnection
    /// The value for credentials that never change (`nil` inside: no `Authorization` header).
    private let fixedValue: String??

    init(connection: KubeConnection) {
        self.connection = connection
        switch connection.credential {
        case .tokenFile, .exec:
            self.fixedValue = nil
        default:
            self.fixedValue = .some(connection.authorizationHeaderValue())
        }
    }

    func authorizationHeaderValue() -> String? {
        if let fixedValue { return fixedValue }
        return connection.authorizationHeaderValue()
    }
}
