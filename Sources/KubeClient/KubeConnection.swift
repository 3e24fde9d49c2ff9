import Foundation
public import NIOSSL

/// How to reach one Kubernetes API server: its address, the client-side TLS configuration and the credential.
///
/// Build one with ``fromKubeconfig(path:context:)`` or ``inCluster(environment:serviceAccountDirectory:)``, or
/// directly with ``init(serverURL:tlsConfiguration:tlsServerName:credential:namespace:)``.
///
/// A proxy opening its own connections needs ``host``, ``port``, ``usesTLS``, ``tlsConfiguration``,
/// ``verificationHostname`` and ``authorizationHeaderValue()``; a request path is ``basePath`` followed by the
/// Kubernetes path (`/api/v1/...`).
public struct KubeConnection: Sendable {
    /// `https` or `http`.
    public let scheme: String
    /// The server's host name or IP address (IPv6 without brackets).
    public let host: String
    /// The server's TCP port.
    public let port: Int
    /// A path prefix in front of every API path (empty, or starting with `/` and without a trailing `/`).
    public let basePath: String
    /// The client-side TLS configuration (trust roots, client certificate, verification mode); `nil` for `http`.
    public var tlsConfiguration: TLSConfiguration?
    /// The name to send as SNI and to verify the server certificate against instead of ``host`` (kubeconfig
    /// `tls-server-name`).
    public var tlsServerName: String?
    /// The credential sent in the `Authorization` header.
    public var credential: KubeCredential
    /// The default namespace (kubeconfig context `namespace`, or the service account's namespace in a cluster).
    public var namespace: String?

    /// Creates a connection from a server URL such as `https://10.0.0.1:6443` or `https://[fd00::1]/prefix`.
    ///
    /// A URL without a scheme is taken as `https`. The default port is 443 for `https` and 80 for `http`.
    /// - Throws: ``KubeConfigError/invalidValue`` for a URL that cannot be used.
    public init(
        serverURL: String,
        tlsConfiguration: TLSConfiguration? = nil,
        tlsServerName: String? = nil,
        credential: KubeCredential = .none,
        namespace: String? = nil
    ) throws {
        let text = serverURL.contains("://") ? serverURL : "https://\(serverURL)"
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "https" || scheme == "http",
              var host = components.host, !host.isEmpty
        else {
            throw KubeConfigError.invalidValue(nil, field: "server", reason: "\"\(serverURL)\" is not an http(s) URL")
        }
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.scheme = scheme
        self.host = host
        self.port = components.port ?? (scheme == "https" ? 443 : 80)
        self.basePath = path
        self.tlsConfiguration = scheme == "https" ? (tlsConfiguration ?? .makeClientConfiguration()) : nil
        self.tlsServerName = tlsServerName
        self.credential = credential
        self.namespace = namespace
    }

    /// Whether connections use TLS.
    public var usesTLS: Bool { self.scheme == "https" }

    /// Whether ``host`` is an IP address literal rather than a name.
    public var hostIsIPAddress: Bool {
        self.host.contains(":") || self.host.split(separator: ".").count == 4
            && self.host.split(separator: ".").allSatisfy { UInt8($0) != nil }
    }

    /// The host name to send as SNI and to verify the server certificate against: ``tlsServerName`` if set,
    /// else ``host`` unless it is an IP address (then `nil`: the certificate is checked against the IP address).
    public var verificationHostname: String? {
        if let tlsServerName { return tlsServerName }
        return self.hostIsIPAddress ? nil : self.host
    }

    /// The `Host` header value for requests (``host`` with IPv6 brackets, with the port unless it is the default).
    public var hostHeaderValue: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        let defaultPort = self.usesTLS ? 443 : 80
        return self.port == defaultPort ? host : "\(host):\(self.port)"
    }

    /// The server URL without a trailing slash, e.g. `https://127.0.0.1:6443` or `https://[::1]:6443/prefix`.
    public var baseURL: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "\(self.scheme)://\(host):\(self.port)\(self.basePath)"
    }

    /// The value of the `Authorization` header to send (e.g. `Bearer abc`), or `nil`. A fast, lock-protected read.
    public func authorizationHeaderValue() -> String? {
        self.credential.authorizationHeaderValue()
    }
}
