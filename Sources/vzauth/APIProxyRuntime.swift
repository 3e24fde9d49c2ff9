import APIProxy
import AsyncHTTPClient
import KubeClient
import Logging
import OIDC
import ProxyCore
import ServiceLifecycle

/// Builds the API proxy's services from validated settings and runs them until SIGTERM or SIGINT.
struct APIProxyRuntime {
    var settings: APIProxySettings

    /// The running parts of the proxy.
    typealias Services = ProxyServices

    /// Runs the proxy until SIGTERM or SIGINT, then drains in-flight requests.
    func run() async throws {
        let output = LogOutput()
        defer { output.flush() }
        let services = try makeServices(logger: output.logger(label: "vzauth.api-proxy", level: settings.logLevel))
        try await ServiceRunner.run(services.all, logger: services.logger) { await services.shutdown() }
    }

    /// Builds every service from the settings (also used by tests, which run them in-process).
    func makeServices(logger: Logger) throws -> Services {
        let assembly = ProxyAssembly(server: settings.server)
        let connection: KubeConnection
        if let kubeconfig = settings.kubeconfig {
            connection = try KubeConnection.fromKubeconfig(path: kubeconfig, context: settings.kubeContext)
        } else {
            connection = try KubeConnection.inCluster()
        }
        let upstream = try KubeUpstream(connection: connection)
        logger.info("forwarding to the Kubernetes API server", metadata: ["server": "\(connection.baseURL)"])
        if settings.allowSystemIdentities {
            logger.warning("--insecure-allow-system-identities is set: tokens may name system: users and groups")
        }

        let issuerClient = assembly.issuerClient(caFile: nil)
        let keyProvider = assembly.keyProvider(settings.oidc, client: issuerClient, logger: logger)
        let authenticator = TokenAuthenticator(
            keySource: keyProvider, policy: settings.oidc.tokenPolicy(clientIDs: settings.clientIDs),
            mapping: settings.oidc.claimMapping)
        let policy = APIProxyPolicy(
            configuration: settings.proxy,
            authenticator: authenticator, metrics: APIProxyMetrics(registry: assembly.registry),
            upstream: upstream.endpoint, credential: upstream.credential, upstreamBasePath: upstream.basePath)
        let (server, management, serving) = try assembly.servers(
            policy: policy, listenerName: "api", metricsPrefix: "vzauth_api_proxy", logger: logger,
            readiness: { keyProvider.isReady ? (true, "") : (false, "the issuer's signing keys are not loaded yet") })
        return Services(all: [keyProvider] + serving, server: server, management: management, keyProvider: keyProvider,
                        issuerClient: issuerClient, logger: logger)
    }
}
