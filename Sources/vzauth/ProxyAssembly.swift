import AsyncHTTPClient
import KubeClient
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import OIDC
import Prometheus
import ProxyCore
import ServiceLifecycle

/// The running parts of a proxy.
struct ProxyServices {
    var all: [any Service]
    var server: ForwardingServer
    var management: ManagementServer
    /// One per accepted issuer.
    var keyProviders: [OIDCKeyProvider]
    var issuerClient: HTTPClient
    /// The API proxy's client of its own API server (managed clusters), if any.
    var kubeClient: KubernetesClient?
    var logger: Logger

    /// Releases what outlives the service group (the HTTP clients).
    func shutdown() async {
        try? await issuerClient.shutdown()
        try? await kubeClient?.shutdown()
    }
}

/// The parts both proxies are built from: event loops, the identity provider's HTTP client and key provider, the
/// forwarding server, the management server and certificate reloading.
struct ProxyAssembly {
    let server: ServerSettings
    let registry = PrometheusCollectorRegistry()
    let group: any EventLoopGroup
    /// The listener's certificate and key (with --tls-cert-file), loaded when the assembly is made.
    let tls: ServerTLSContextProvider?
    private let keyRefreshes: KeyRefreshMetrics

    /// Loads the listener's certificate first: the runtimes make an assembly before anything that must be shut
    /// down (HTTP clients), so a file that fails here stops the start cleanly.
    init(server: ServerSettings) throws {
        self.server = server
        do {
            tls = try server.listen.tls.map { try ServerTLSContextProvider(files: $0) }
        } catch {
            throw OIDCProxyRuntime.StartupError(description: """
                --tls-cert-file / --tls-private-key-file cannot be used: \(error); give a PEM certificate chain and its key
                """)
        }
        keyRefreshes = KeyRefreshMetrics(registry: registry)
        BuildInfo.register(in: registry)
        group = server.eventLoopThreads.map { MultiThreadedEventLoopGroup(numberOfThreads: $0) }
            ?? MultiThreadedEventLoopGroup.singleton
    }

    /// A client for the identity provider: exactly the URLs it published (no redirects, no decompression),
    /// trusting `caFile` when given.
    func issuerClient(caFile: String?) -> HTTPClient {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, decompression: .disabled)
        configuration.connectionPool.idleTimeout = .seconds(60)
        if let caFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(caFile)
            configuration.tlsConfiguration = tls
        }
        return HTTPClient(eventLoopGroup: group, configuration: configuration)
    }

    /// The issuer's discovery document and keys, refreshed in the background, with load metrics labelled with the
    /// issuer.
    func keyProvider(_ issuer: IssuerSettings, client: HTTPClient, logger: Logger) -> OIDCKeyProvider {
        OIDCKeyProvider(configuration: issuer.providerConfiguration, httpClient: client, logger: logger,
                        observer: keyRefreshes.observer(issuer: issuer.issuer))
    }

    /// The forwarding server for `policy` (its listener named `listenerName` in logs), the management server and
    /// (with TLS) certificate reloading.
    func servers(policy: any RequestPolicy, listenerName: String, metricsPrefix: String, logger: Logger,
                 readiness: @escaping ManagementServer.ReadinessCheck) -> (ForwardingServer, ManagementServer, [any Service]) {
        let forwarding = ForwardingServer(
            name: listenerName, listener: server.listen, group: group, tls: tls, policy: policy,
            metrics: ProxyMetrics(registry: registry, prefix: metricsPrefix),
            accessLog: AccessLog(logger: logger), logger: logger, gracePeriod: server.shutdownGracePeriod,
            timeouts: server.timeouts)
        let management = ManagementServer(listener: server.management, group: group, registry: registry, logger: logger,
                                          readiness: readiness)
        var services: [any Service] = [forwarding, management, MemoryTrimService()]
        if let tls { services.append(CertificateReloadService(provider: tls, logger: logger)) }
        return (forwarding, management, services)
    }
}
