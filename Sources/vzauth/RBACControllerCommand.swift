import ArgumentParser
import Foundation
import KubeClient
import Logging
import NIOPosix
import Prometheus
import RBACController
import ServiceLifecycle
import ServiceSupport

/// `vzauth rbac-controller`: keeps Verrazzano's roles and bindings equal to the cluster's Verrazzano and
/// VerrazzanoProject resources.
struct RBACControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rbac-controller",
        abstract: "Reconcile Verrazzano roles, install bindings and project role bindings in a cluster.",
        discussion: """
            Watches Verrazzano (install.verrazzano.io/v1beta1) and VerrazzanoProject (clusters.verrazzano.io) \
            resources and keeps the role catalogue, the install ClusterRoleBindings, the project namespaces and \
            their RoleBindings as they should be: it repairs hand edits, removes what a deleted project created \
            (finalizer project.verrazzano.io), never touches objects without its label \
            app.kubernetes.io/managed-by=vzauth-rbac, and reports each project's state in its status and in Events. \
            Replicas elect a leader with a coordination.k8s.io Lease; only the leader writes.

            Example:
              vzauth rbac-controller --kubeconfig ~/.kube/config --leader-election-namespace verrazzano-system
            """
    )

    @Option(help: "kubeconfig for reaching the API server (current context). Without it: in-cluster configuration.")
    var kubeconfig: String?

    @Option(help: "Context of --kubeconfig to use instead of the current one.")
    var kubeContext: String?

    @Option(help: "Namespace of the leader-election Lease.")
    var leaderElectionNamespace: String = "verrazzano-system"

    @Option(help: "Name of the leader-election Lease.")
    var leaderElectionID: String = "vzauth-rbac-controller"

    @Option(help: "This replica's identity in the Lease (default: $POD_NAME, else the host name).")
    var identity: String?

    @Option(help: "Namespace whose VerrazzanoProject resources are reconciled.")
    var projectsNamespace: String = "verrazzano-mc"

    @Option(help: "Seconds between full reconciliations without any change.")
    var resyncPeriod: Int = 600

    @Option(help: "Writes one pass keeps in flight at most (1 writes one at a time).")
    var maxConcurrentWrites: Int = 16

    @Option(help: "HOST:PORT of the /healthz, /readyz and /metrics listener.")
    var managementListen: String = "0.0.0.0:8776"

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        if ListenerConfiguration.parseAddress(managementListen) == nil {
            throw ValidationError("--management-listen must be HOST:PORT, got \"\(managementListen)\"")
        }
        if Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        if !(1...256).contains(maxConcurrentWrites) {
            throw ValidationError("--max-concurrent-writes must be between 1 and 256, got \(maxConcurrentWrites)")
        }
        if resyncPeriod < 10 { throw ValidationError("--resync-period must be at least 10 seconds") }
        if leaderElectionNamespace.isEmpty || leaderElectionID.isEmpty || projectsNamespace.isEmpty {
            throw ValidationError("--leader-election-namespace, --leader-election-id and --projects-namespace must not be empty")
        }
    }

    func run() async throws {
        let output = LogOutput()
        defer { output.flush() }
        let logger = output.logger(label: "vzauth.rbac-controller", level: Logger.Level(rawValue: logLevel) ?? .info)
        let connection: KubeConnection
        do {
            connection = try kubeconfig.map { try KubeConnection.fromKubeconfig(path: $0, context: kubeContext) }
                ?? KubeConnection.inCluster()
        } catch {
            throw ValidationError("\(error)")
        }
        let replica = identity ?? ProcessInfo.processInfo.environment["POD_NAME"] ?? ProcessInfo.processInfo.hostName
        var election = LeaderElectionConfiguration(namespace: leaderElectionNamespace, identity: replica)
        election.name = leaderElectionID
        var configuration = ControllerConfiguration(leaderElection: election)
        configuration.projectsNamespace = projectsNamespace
        configuration.resyncPeriod = .seconds(resyncPeriod)
        configuration.maximumConcurrentWrites = maxConcurrentWrites

        var clientConfiguration = KubernetesClient.Configuration()
        // Six watches, the Lease, a few reads, and the writes in flight.
        clientConfiguration.maximumConnections = maxConcurrentWrites + 10
        let client = KubernetesClient(connection: connection, configuration: clientConfiguration, logger: logger)
        let registry = PrometheusCollectorRegistry()
        let controller = RBACController(client: client, configuration: configuration,
                                        metrics: ControllerMetrics(registry: registry), logger: logger)
        let address = ListenerConfiguration.parseAddress(managementListen)!
        let management = ManagementServer(
            listener: ListenerConfiguration(host: address.host, port: address.port),
            group: MultiThreadedEventLoopGroup.singleton, registry: registry, logger: logger,
            readiness: { controller.readiness })
        logger.info("starting", metadata: ["server": "\(connection.baseURL)", "identity": "\(replica)",
                                           "lease": "\(leaderElectionNamespace)/\(leaderElectionID)"])
        try await ProxyAssembly.run([ControllerService(controller: controller), management], logger: logger) {
            try? await client.shutdown()
        }
    }
}

/// Runs the controller as a service: on SIGTERM it stops writing and releases the Lease.
struct ControllerService: Service {
    let controller: RBACController

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await controller.run()
        }
    }
}
