import ArgumentParser

/// The flags of `vzauth oidc-proxy`. Every option is optional here so that a `--config` file can supply it; defaults
/// are applied when the settings are resolved (see ``OIDCProxySettings``).
struct OIDCProxyOptions: ParsableArguments {
    @OptionGroup var configFile: ConfigOptions

    @OptionGroup var server: ServerOptions<OIDCProxyOptions.Help>

    @OptionGroup var issuer: IssuerOptions<OIDCProxyOptions.Help>

    @Option(help: "The client browsers log in with (authorization code + PKCE). (default: verrazzano-pkce)")
    var oidcClientId: String?

    @Option(help: "The client for Authorization: Basic (resource-owner password grant). (default: verrazzano-pg)")
    var oidcPasswordClientId: String?

    @Option(help: "File holding the secret of --oidc-client-id when it is a confidential client (re-read when it changes; never give a secret on the command line). (default: a public client)")
    var oidcClientSecretFile: String?

    @Option(help: "File holding the secret of --oidc-password-client-id when it is a confidential client (re-read when it changes). (default: a public client)")
    var oidcPasswordClientSecretFile: String?

    @Option(help: "A scope to ask for at login and in the password grant. Repeatable. (default: openid profile email, and groups when the provider lists it)")
    var oidcScope: [String] = []

    @Option(help: "The console's URL (sidecar mode: one upstream for every host).")
    var upstream: String?

    @Option(help: "HOST=URL: requests for HOST go to URL (shared mode). Repeatable.")
    var route: [String] = []

    @Option(help: "[HOST=]PATTERN: paths that start a browser login (/ or /app/*); other unauthenticated paths get 401. Without HOST: the --upstream console. Repeatable. (default: every path)")
    var loginPath: [String] = []

    @Option(help: "This proxy's external base URL, e.g. https://grafana.example.com (redirect URI: <public-url>/_authentication_callback). Shared mode uses its scheme with each route's host.")
    var publicUrl: String?

    @Option(help: "Where the identity provider sends the browser after logout (register it with the provider). (default: <public-url>/)")
    var postLogoutRedirectUrl: String?

    @Option(help: "File with a secret of at least 32 bytes for the session cookies; the first encrypts, all decrypt (rotation). Repeatable.")
    var cookieSecretFile: [String] = []

    @Option(help: "Longest a login lasts without the identity provider's help, in seconds (bounds a session whose refresh token never expires). (default: 36000)")
    var sessionMaxLifetime: Double?

    /// The OIDC proxy's wording of the shared flags.
    enum Help: ServerOptionsHelp, IssuerOptionsHelp {
        static let listen = "Address to serve on, HOST:PORT. (default: 0.0.0.0:8775)"
        static let oidcIssuer = "The token issuer (iss), e.g. https://keycloak.example.com/auth/realms/verrazzano-system."
        static let oidcDiscoveryUrl = "Where to fetch the discovery document, keys and tokens when it differs from the public issuer (in-cluster)."
        static let oidcCaFile = "PEM CA bundle to trust when talking to the issuer."
        static let usernameClaim = "Claim that names the user for the console. (default: preferred_username)"
        static let groupsClaim = "Claim that lists the user's groups. (default: groups)"
        static let insecureAllowSystemIdentities = "Accept user and group names beginning with 'system:' from tokens."
    }
}
