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
        let tlsContext = try connection.tlsConfiguration.map { try NIOSSLContext(configuration: $0) }
        endpoint = UpstreamEndpoint(host: connection.host, port: connection.port,
                                    tlsContext: connection.usesTLS ? tlsContext : nil,
                                    serverHostname: connection.verificationHostname)
        credential = KubeConnectionCredential(connection: connection)
        basePath = connection.basePath
    }
}

/// Reads the proxy's credential from the connection on every request (the token file is re-read as it rotates).
private struct KubeConnectionCredential: UpstreamCredential {
    let connection: KubeConnection

    func authorizationHeaderValue() -> String? {
        connection.authorizationHeaderValue()
    }
}
