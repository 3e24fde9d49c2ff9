public import ProxyCore

/// One console behind the proxy: where its requests go, the external base URL its login comes back to, and which
/// paths may start a login.
public struct ConsoleRoute: Sendable {
    /// The host name browsers use for this console (lower case, no port); `nil` for the one upstream of a sidecar.
    public let host: String?
    /// Where requests are forwarded.
    public let upstream: UpstreamEndpoint
    /// A path the upstream URL carries (`http://grafana:3000/grafana`), put before every forwarded path; no
    /// trailing slash.
    public let upstreamBasePath: String
    /// This console's external base URL (`https://grafana.example.com`), for the redirect URI and post-logout
    /// redirect.
    public let publicBaseURL: String
    /// Paths for which an unauthenticated browser is sent to log in; empty means every path.
    public let loginPaths: [LoginPathPattern]

    /// Creates a route.
    public init(host: String?, upstream: UpstreamEndpoint, upstreamBasePath: String = "", publicBaseURL: String,
                loginPaths: [LoginPathPattern] = []) {
        self.host = host?.lowercased()
        self.upstream = upstream
        var base = upstreamBasePath
        while base.hasSuffix("/") { base.removeLast() }
        self.upstreamBasePath = base
        var publicBase = publicBaseURL
        while publicBase.hasSuffix("/") { publicBase.removeLast() }
        self.publicBaseURL = publicBase
        self.loginPaths = loginPaths
    }

    /// The redirect URI registered with the identity provider for this console.
    public var redirectURI: String { publicBaseURL + OIDCProxyPaths.callback }

    /// Whether an unauthenticated browser asking for `path` is sent to log in (otherwise it gets 401).
    public func allowsLoginRedirect(for path: Substring) -> Bool {
        loginPaths.isEmpty || loginPaths.contains { $0.matches(path) }
    }
}
