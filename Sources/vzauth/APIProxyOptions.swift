import ArgumentParser

/// The flags of `vzauth api-proxy`. Every option is optional here so that a `--config` file can supply it; defaults
/// are applied when the settings are resolved (see ``APIProxySettings``).
struct APIProxyOptions: ParsableArguments {
    @OptionGroup var configFile: ConfigOptions

    @OptionGroup var server: ServerOptions<APIProxyOptions.Help>

    @OptionGroup var issuer: IssuerOptions<APIProxyOptions.Help>

    @Option(help: "An allowed client id: the token's azp, or aud when there is no azp. Repeatable.")
    var oidcClientId: [String] = []

    @Option(help: "The client for Authorization: Basic (resource-owner password grant at --oidc-issuer). Basic is accepted only when this client is also an --oidc-client-id. (default: verrazzano-pg)")
    var oidcPasswordClientId: String?

    @Option(help: "File holding the secret of --oidc-password-client-id when it is a confidential client (re-read when it changes). (default: a public client)")
    var oidcPasswordClientSecretFile: String?

    @OptionGroup var kube: KubeconfigOptions

    @Option(help: "Version prefix removed from API paths. (default: /20210501)")
    var apiPathPrefix: String?

    @Option(help: "An origin allowed to call the API from a browser (CORS). Repeatable.")
    var corsAllowedOrigin: [String] = []

    @Option(help: "This proxy's own public origin, e.g. https://verrazzano.example.com (allowed for CORS).")
    var publicOrigin: String?

    @Flag(help: "Serve kubectl --as (Impersonate-User and Impersonate-Group from a client) when SubjectAccessReviews say the token's user may impersonate that user and each group; the original user is sent as Impersonate-Extra-Original-User/-Groups (the proxy then needs create on subjectaccessreviews and impersonate on userextras/original-user and userextras/original-groups). Off: every Impersonate-* header gets 403.")
    var allowUserImpersonation: Bool = false

    @Flag(help: "Forward requests that name a managed cluster (cluster=NAME in the query, or a /clusters/NAME path prefix) to that cluster's API proxy, with the user's own token (the admin cluster; needs get, list and watch on verrazzanomanagedclusters and secrets in --managed-cluster-namespace, and create on subjectaccessreviews).")
    var managedClusters: Bool = false

    @Option(help: "The cluster name that means this cluster in cluster=NAME and /clusters/NAME. (default: local)")
    var localClusterName: String?

    @Option(help: "Namespace of the VerrazzanoManagedCluster resources and their CA Secrets, for requests to managed clusters. (default: verrazzano-mc)")
    var managedClusterNamespace: String?

    /// The API proxy's wording of the shared flags.
    enum Help: ServerOptionsHelp, IssuerOptionsHelp {
        static let listen = "Address to serve the API on, HOST:PORT. (default: 0.0.0.0:8775)"
        static let oidcIssuer = "The token issuer to require (iss), e.g. https://keycloak.example.com/auth/realms/verrazzano-system."
        static let oidcDiscoveryUrl = "Where to fetch the discovery document and keys when it differs from the public issuer (in-cluster)."
        static let oidcCaFile = "PEM CA bundle to trust when fetching from the issuer."
        static let usernameClaim = "Claim that names the Kubernetes user. (default: sub)"
        static let groupsClaim = "Claim that lists the Kubernetes groups. (default: groups)"
        static let insecureAllowSystemIdentities = "Accept user and group names beginning with 'system:' from tokens (unsafe: a group 'system:masters' is cluster-admin)."
    }
}
