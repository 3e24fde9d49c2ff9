import ArgumentParser

/// The flags of `vzauth api-proxy`. Every option is optional here so that a `--config` file can supply it; defaults
/// are applied when the settings are resolved (see ``APIProxySettings``).
struct APIProxyOptions: ParsableArguments {
    @Option(help: "YAML file with these settings (keys named like the flags); flags win over the file.")
    var config: String?

    @Option(help: "Address to serve the API on, HOST:PORT. (default: 0.0.0.0:8775)")
    var listen: String?

    @Option(help: "Address for /healthz, /readyz and /metrics, HOST:PORT. (default: 0.0.0.0:8776)")
    var managementListen: String?

    @Option(help: "PEM certificate chain to serve TLS with (re-read when it changes). Without it: plain HTTP.")
    var tlsCertFile: String?

    @Option(help: "PEM private key for --tls-cert-file.")
    var tlsPrivateKeyFile: String?

    @Option(help: "The token issuer to require (iss), e.g. https://keycloak.example.com/auth/realms/verrazzano-system.")
    var oidcIssuer: String?

    @Option(help: "Where to fetch the discovery document and keys when it differs from the public issuer (in-cluster).")
    var oidcDiscoveryUrl: String?

    @Option(help: "An allowed client id: the token's azp, or aud when there is no azp. Repeatable.")
    var oidcClientId: [String] = []

    @Option(help: "PEM CA bundle to trust when fetching from the issuer.")
    var oidcCaFile: String?

    @Option(help: "Leeway in seconds for exp, nbf and iat. (default: 30)")
    var clockSkew: Double?

    @Option(help: "Claim that names the Kubernetes user. (default: sub)")
    var usernameClaim: String?

    @Option(help: "Claim that lists the Kubernetes groups. (default: groups)")
    var groupsClaim: String?

    @Option(help: "Claim that lists the roles, dotted for nested claims. (default: realm_access.roles)")
    var rolesClaim: String?

    @Option(help: "A role every user must have (Verrazzano: vz_api_access); missing: 403. (default: none)")
    var requiredRole: String?

    @Flag(help: "Accept user and group names beginning with 'system:' from tokens (unsafe: a group 'system:masters' is cluster-admin).")
    var insecureAllowSystemIdentities: Bool = false

    @Option(help: "kubeconfig for reaching the API server (current context). Without it: in-cluster configuration.")
    var kubeconfig: String?

    @Option(help: "Context of --kubeconfig to use instead of the current one.")
    var kubeContext: String?

    @Option(help: "Version prefix removed from API paths. (default: /20210501)")
    var apiPathPrefix: String?

    @Option(help: "An origin allowed to call the API from a browser (CORS). Repeatable.")
    var corsAllowedOrigin: [String] = []

    @Option(help: "This proxy's own public origin, e.g. https://verrazzano.example.com (allowed for CORS).")
    var publicOrigin: String?

    @Option(help: "Seconds in-flight requests may take to finish after SIGTERM. (default: 20)")
    var shutdownGracePeriod: Double?

    @Option(help: "Event loop threads serving connections. (default: one per core)")
    var eventLoopThreads: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. (default: info)")
    var logLevel: String?
}
