import Foundation

/// Where and how an ``OIDCKeyProvider`` loads the issuer's discovery document and signing keys.
public struct OIDCProviderConfiguration: Sendable, Hashable {
    /// The issuer URL, exactly as it appears in tokens' `iss`
    /// (Keycloak: `https://<host>/auth/realms/verrazzano-system`).
    public var issuer: String
    /// Where to fetch the discovery document; `nil` means `issuer + "/.well-known/openid-configuration"`.
    ///
    /// Set it to an in-cluster URL (for example `http://keycloak-http.keycloak.svc/auth/realms/verrazzano-system/.well-known/openid-configuration`)
    /// when the public issuer host is not reachable from inside the cluster. Then, if the document's `jwks_uri`
    /// has the same origin (scheme, host, port) as the issuer, the provider fetches the key set from the same
    /// path at the discovery URL's origin instead (see ``internalURL(for:)``).
    public var discoveryURL: String?
    /// A PEM file with the CA certificate(s) to trust for HTTPS to the issuer; `nil` uses the system roots.
    public var caFilePath: String?
    /// How often the key set is refreshed in the background. Default 5 minutes.
    public var refreshInterval: Duration
    /// The minimum time between two refetches caused by tokens naming an unknown `kid`. Default 10 seconds.
    public var unknownKeyRefetchInterval: Duration
    /// The deadline for each HTTP request (connect, headers and body). Default 10 seconds.
    public var requestTimeout: Duration
    /// The first retry delay while keys have never been loaded; doubles up to ``maximumRetryDelay``. Default 1 s.
    public var initialRetryDelay: Duration
    /// The longest retry delay after failed loads. Default 30 seconds.
    public var maximumRetryDelay: Duration
    /// The largest discovery document or key set accepted, in bytes. Default 1 MiB.
    public var maximumResponseSize: Int

    /// Creates a configuration; everything but the issuer has a default.
    public init(
        issuer: String,
        discoveryURL: String? = nil,
        caFilePath: String? = nil,
        refreshInterval: Duration = .seconds(300),
        unknownKeyRefetchInterval: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(10),
        initialRetryDelay: Duration = .seconds(1),
        maximumRetryDelay: Duration = .seconds(30),
        maximumResponseSize: Int = 1 << 20
    ) {
        self.issuer = issuer
        self.discoveryURL = discoveryURL
        self.caFilePath = caFilePath
        self.refreshInterval = refreshInterval
        self.unknownKeyRefetchInterval = unknownKeyRefetchInterval
        self.requestTimeout = requestTimeout
        self.initialRetryDelay = initialRetryDelay
        self.maximumRetryDelay = maximumRetryDelay
        self.maximumResponseSize = maximumResponseSize
    }

    /// The discovery URL actually used.
    public var effectiveDiscoveryURL: String {
        if let discoveryURL {
            return discoveryURL
        }
        let base = self.issuer.hasSuffix("/") ? String(self.issuer.dropLast()) : self.issuer
        return base + "/.well-known/openid-configuration"
    }

    /// Rewrites an endpoint URL taken from the discovery document for server-to-server use.
    ///
    /// If ``discoveryURL`` is set, its origin differs from the issuer's, and `url` has the issuer's origin, the
    /// result is `url` with the discovery URL's scheme, host and port (path and query kept). Otherwise `url` is
    /// returned unchanged. The key provider applies this to `jwks_uri`; a login proxy can apply it to the
    /// token endpoint. Browser-facing endpoints (authorization, end session) must not be rewritten.
    public func internalURL(for url: String) -> String {
        guard
            let discoveryURL,
            let discovery = URLComponents(string: discoveryURL),
            let issuer = URLComponents(string: self.issuer),
            var target = URLComponents(string: url)
        else {
            return url
        }
        let issuerOrigin = Origin(issuer)
        guard Origin(discovery) != issuerOrigin, Origin(target) == issuerOrigin else {
            return url
        }
        target.scheme = discovery.scheme
        target.host = discovery.host
        target.port = discovery.port
        return target.string ?? url
    }
}

/// Scheme, host and port, with default ports made explicit and case ignored where it does not matter.
private struct Origin: Equatable {
    let scheme: String
    let host: String
    let port: Int

    init(_ components: URLComponents) {
        self.scheme = components.scheme?.lowercased() ?? ""
        self.host = components.host?.lowercased() ?? ""
        self.port = components.port ?? (self.scheme == "https" ? 443 : 80)
    }
}
