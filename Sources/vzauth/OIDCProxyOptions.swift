import ArgumentParser

/// The flags of `vzauth oidc-proxy`. Every option is optional here so that a `--config` file can supply it; defaults
/// are applied when the settings are resolved (see ``OIDCProxySettings``).
struct OIDCProxyOptions: ParsableArguments {
    @Option(help: "YAML file with these settings (keys named like the flags); flags win over the file.")
    var config: String?

    @Option(help: "Address to serve on, HOST:PORT. (default: 0.0.0.0:8775)")
    var listen: String?

    @Option(help: "Address for /healthz, /readyz and /metrics, HOST:PORT. (default: 0.0.0.0:8776)")
    var managementListen: String?

    @Option(help: "PEM certificate chain to serve TLS with (re-read when it changes). Without it: plain HTTP.")
    var tlsCertFile: String?

    @Option(help: "PEM private key for --tls-cert-file.")
    var tlsPrivateKeyFile: String?

    @Option(help: "The token issuer (iss), e.g. https://keycloak.example.com/auth/realms/verrazzano-system.")
    var oidcIssuer: String?

    @Option(help: "Where to fetch the discovery document, keys and tokens when it differs from the public issuer (in-cluster).")
    var oidcDiscoveryUrl: String?

    @Option(help: "The client browsers log in with (authorization code + PKCE). (default: verrazzano-pkce)")
    var oidcClientId: String?

    @Option(help: "The client for Authorization: Basic (resource-owner password grant). (default: verrazzano-pg)")
    var oidcPasswordClientId: String?

    @Option(help: "PEM CA bundle to trust when talking to the issuer.")
    var oidcCaFile: String?

    @Option(help: "Leeway in seconds for exp, nbf and iat. (default: 30)")
    var clockSkew: Double?

    @Option(help: "Claim that names the user for the console. (default: preferred_username)")
    var usernameClaim: String?

    @Option(help: "Claim that lists the user's groups. (default: groups)")
    var groupsClaim: String?

    @Option(help: "Claim that lists the roles, dotted for nested claims. (default: realm_access.roles)")
    var rolesClaim: String?

    @Option(help: "A role every user must have (Verrazzano: vz_api_access); missing: 403. (default: none)")
    var requiredRole: String?

    @Flag(help: "Accept user and group names beginning with 'system:' from tokens.")
    var insecureAllowSystemIdentities: Bool = false

    @Option(help: "The console's URL (sidecar mode: one upstream for every host).")
    var upstream: String?

    @Option(help: "HOST=URL: requests for HOST go to URL (shared mode). Repeatable.")
    var route: [String] = []

    @Option(help: "[HOST=]PATTERN: paths that start a browser login (/ or /app/*); other unauthenticated paths get 401. Without HOST: the --upstream console. Repeatable. (default: every path)")
    var loginPath: [String] = []

    @Option(help: "This proxy's external base URL, e.g. https://grafana.example.com (redirect URI: <public-url>/_authentication_callback). Shared mode uses its scheme with each route's host.")
    var publicUrl: String?

    @Option(help: "File with a secret of at least 32 bytes for the session cookies; the first encrypts, all decrypt (rotation). Repeatable.")
    var cookieSecretFile: [String] = []

    @Option(help: "Longest a login lasts without the identity provider's help, in seconds (bounds a session whose refresh token never expires). (default: 36000)")
    var sessionMaxLifetime: Double?

    @Option(help: "Seconds in-flight requests may take to finish after SIGTERM. (default: 20)")
    var shutdownGracePeriod: Double?

    @Option(help: "Event loop threads serving connections. (default: one per core)")
    var eventLoopThreads: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. (default: info)")
    var logLevel: String?
}
