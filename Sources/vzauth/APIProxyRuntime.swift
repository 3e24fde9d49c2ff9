import APIProxy
import AsyncHTTPClient
import KubeClient
import Logging
import NIOCore
import NIOPosix
import OIDC
import Prometheus
import ProxyCore
import ServiceLifecycle
import UnixSignals

/// Builds the API proxy's services from validated settings and runs them until SIGTERM or SIGINT.
struct APIProxyRuntime {
    var settings: APIProxySettings

    /// The running parts of the proxy.
    struct Services {
        var all: [any Service]
        var server: ForwardingServer
        var management: ManagementServer
        var keyProvider: OIDCKeyProvider
        var issuerClient: HTTPClient
        var logger: Logger

        /// Releases what outlives the service group (the issuer's HTTP client).
        func shutdown() async {
            try? await issuerClient.shutdown()
        }
    }

    /// Runs the proxy until SIGTERM or SIGINT, then drains in-flight requests.
    func run() async throws {
        let output = LogOutput()
        defer { output.flush() }
        let services = try makeServices(logger: output.logger(label: "vzauth.api-proxy", level: settings.logLevel))
        let serviceGroup = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.all.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: services.logger))
        do {
            try await serviceGroup.run()
        } catch {
            await services.shutdown()
            throw error
        }
        await services.shutdown()
    }

    /// Builds every service from the settings (also used by tests, which run them in-process).
    func makeServices(logger: Logger) throws -> Services {
        let registry = PrometheusCollectorRegistry()
        // The issuer is asked for exactly the URLs it published: no redirects, no decompression.
        var clientConfiguration = HTTPClient.Configuration(redirectConfiguration: .disallow, decompression: .disabled)
        clientConfiguration.connectionPool.idleTimeout = .seconds(60)
        let group = settings.server.eventLoopThreads.map { MultiThreadedEventLoopGroup(numberOfThreads: $0) }
            ?? MultiThreadedEventLoopGroup.singleton
        let issuerClient = HTTPClient(eventLoopGroup: group, configuration: clientConfiguration)

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

        let keyRefreshes = KeyRefreshMetrics(registry: registry)
        let keyProvider = OIDCKeyProvider(
            configuration: settings.oidc.providerConfiguration,
            httpClient: issuerClient,
            logger: logger,
            observer: { keyRefreshes.record($0) })
        let authenticator = TokenAuthenticator(
            keySource: keyProvider,
            policy: settings.oidc.tokenPolicy(clientIDs: settings.clientIDs),
            mapping: settings.oidc.claimMapping)
        let policy = APIProxyPolicy(
            configuration: settings.proxy,
            authenticator: OIDCBearerAuthenticator(authenticator: authenticator, registry: registry),
            upstream: upstream.endpoint, credential: upstream.credential, upstreamBasePath: upstream.basePath)

        let tls = try settings.listen.tls.map { try ServerTLSContextProvider(files: $0) }
        let metrics = ProxyMetrics(registry: registry, prefix: "vzauth_api_proxy")
        let server = ForwardingServer(
            listener: settings.listen, group: group, tls: tls, policy: policy, metrics: metrics,
            accessLog: AccessLog(logger: logger), logger: logger, gracePeriod: settings.shutdownGracePeriod)
        let management = ManagementServer(
            listener: settings.management, group: group, registry: registry, logger: logger,
            readiness: { keyProvider.isReady ? (true, "") : (false, "the issuer's signing keys are not loaded yet") })

        var services: [any Service] = [keyProvider, server, management]
        if let tls {
            services.append(CertificateReloadService(provider: tls, logger: logger))
        }
        return Services(all: services, server: server, management: management, keyProvider: keyProvider,
                        issuerClient: issuerClient, logger: logger)
    }
}
