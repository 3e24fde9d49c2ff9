import ArgumentParser
import APIProxy
import AsyncHTTPClient
import KubeClient
import Logging
import Multicluster
import OIDC
import ProxyCore
import ProxyFrontDoor
import ServiceLifecycle

/// Builds the API proxy's services from validated settings and runs them until SIGTERM or SIGINT.
struct APIProxyRuntime {
    var settings: APIProxySettings

    /// The running parts of the proxy.
    typealias Services = ProxyServices

    /// Runs the proxy until SIGTERM or SIGINT, then drains in-flight requests.
    func run() async throws {
        let output = LogOutput(format: settings.server.logFormat)
        defer { output.flush() }
        let services: Services
        do {
            services = try makeServices(logger: output.logger(label: "vzauth.api-proxy", level: settings.logLevel))
        } catch let problem as KubeConnectionLookup.Problem {
            throw ValidationError(problem.description)  // an invalid setting, exit 64 like the others
        }
        try await ServiceRunner.run(services.all, logger: services.logger) { await services.shutdown() }
    }

    /// Builds every service from the settings (also used by tests, which run them in-process).
    func makeServices(logger: Logger) throws -> Services {
        let assembly = try ProxyAssembly(server: settings.server)
        // As kubectl: --kubeconfig, else in a pod its service account, else $KUBECONFIG, else ~/.kube/config.
        let found = try KubeConnectionLookup().connect(kubeconfig: settings.kubeconfig, context: settings.kubeContext)
        let connection = found.connection
        if settings.kubeconfig == nil, let path = found.kubeconfig {
            logger.info("using the kubeconfig", metadata: ["kubeconfig": "\(path)"])
        }
        let upstream = try KubeUpstream(connection: connection)
        logger.info("forwarding to the Kubernetes API server", metadata: ["server": "\(connection.baseURL)"])
        if settings.allowSystemIdentities {
            logger.warning("--insecure-allow-system-identities is set: tokens may name system: users and groups")
        }

        // Everything that can fail is done before the first client is made (a client must be shut down).
        let passwordClientSecret = try OIDCProxyRuntime.secretFile(settings.passwordClientSecretFile)
        let issuerClient = assembly.issuerClient(caFile: nil)
        let issuers = settings.issuers.map { issuer in
            (issuer: issuer, keys: assembly.keyProvider(issuer.settings, client: issuerClient, logger: logger))
        }
        let authenticators = issuers.map { issuer, keys in
            TokenAuthenticator(keySource: keys, policy: issuer.tokenPolicy, mapping: issuer.settings.claimMapping)
        }
        // One issuer: its authenticator itself; several: each token to the issuer its iss names.
        let authenticator: any BearerTokenAuthenticator = authenticators.count == 1
            ? authenticators[0] : IssuerRoutedAuthenticator(authenticators)
        if issuers.count > 1 {
            logger.info("accepting the tokens of several issuers", metadata: [
                "issuers": "\(issuers.map(\.issuer.settings.issuer).joined(separator: ", "))",
            ])
        }
        // Managed clusters (on the admin cluster): their registrations are watched, and each user's right to use one
        // is asked of this cluster's API server, with the proxy's own credential.
        let apiMetrics = APIProxyMetrics(registry: assembly.registry)
        var clusters: ManagedClusterRouting?
        var clusterServices: [any Service] = []
        // The proxy's own client of this cluster's API server, for what it must ask it (reviews, registrations).
        let kubeClient = settings.managedClusters || settings.allowUserImpersonation
            ? KubernetesClient(connection: connection, logger: logger) : nil
        if settings.managedClusters, let client = kubeClient {
            let watcher = ClusterWatcher(namespace: settings.managedClusterNamespace, logger: logger)
            clusters = ManagedClusterRouting(
                rules: ClusterRoute.Rules(localClusterName: settings.localClusterName, consolePrefix: settings.proxy.apiPathPrefix),
                access: ClusterAccessCheck(client: client, namespace: settings.managedClusterNamespace),
                directory: { watcher.isSynced ? watcher.directory : nil }, namespace: settings.managedClusterNamespace,
                metrics: apiMetrics)
            clusterServices = [ClusterWatcherService(watcher: watcher, client: client)]
            logger.info("forwarding requests for managed clusters", metadata: [
                "namespace": "\(settings.managedClusterNamespace)", "local_cluster_name": "\(settings.localClusterName)",
            ])
        }
        let impersonationReview = settings.allowUserImpersonation
            ? kubeClient.map { UserImpersonationReview(review: SubjectAccessReview.sender($0)) } : nil
        if impersonationReview != nil {
            logger.info("kubectl --as is served for users allowed to impersonate (--allow-user-impersonation)")
        }
        // Basic credentials: exchanged with the password grant at --oidc-issuer (the first issuer).
        var passwordGrants: PasswordGrantClient?
        if let clientID = settings.passwordClientID, let flagIssuer = issuers.first {
            passwordGrants = PasswordGrantClient(
                clientID: clientID, clientSecret: passwordClientSecret,
                tokenClient: OIDCTokenClient(keyProvider: flagIssuer.keys, httpClient: issuerClient, logger: logger),
                authenticator: authenticators[0], logger: logger)
            logger.info("Basic credentials are exchanged with the password grant", metadata: ["client_id": "\(clientID)"])
        }
        let policy = APIProxyPolicy(
            configuration: settings.proxy,
            authenticator: authenticator, metrics: apiMetrics,
            upstream: upstream.endpoint, credential: upstream.credential, upstreamBasePath: upstream.basePath,
            clusters: clusters, impersonationReview: impersonationReview, passwordGrants: passwordGrants)
        let (server, management, serving) = assembly.servers(
            policy: policy, listenerName: "api", metricsPrefix: "vzauth_api_proxy", logger: logger,
            readiness: {
                guard let waiting = issuers.first(where: { !$0.keys.isReady }) else { return (true, "") }
                return (false, "the signing keys of issuer \(waiting.issuer.settings.issuer) are not loaded yet")
            })
        let keyProviders = issuers.map(\.keys)
        return Services(all: keyProviders + clusterServices + serving,
                        server: server, management: management, keyProviders: keyProviders, issuerClient: issuerClient,
                        kubeClient: kubeClient, logger: logger)
    }
}

/// Keeps the managed clusters' directory current until the service group shuts down.
struct ClusterWatcherService: Service {
    let watcher: ClusterWatcher
    let client: KubernetesClient

    func run() async throws {
        await cancelWhenGracefulShutdown { await watcher.run(client: client) }
    }
}
