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

    @OptionGroup var options: RBACControllerOptions

    func run() async throws {
        let settings: RBACControllerSettings
        do {
            settings = try RBACControllerSettings.resolve(options)
        } catch {
            throw ValidationError(error.description)
        }
        let output = LogOutput(format: settings.logFormat)
        defer { output.flush() }
        let logger = output.logger(label: "vzauth.rbac-controller", level: settings.logLevel)
        let services: RBACControllerRuntime.Services
        do {
            services = try RBACControllerRuntime(settings: settings).makeServices(logger: logger)
        } catch {
            throw ValidationError("\(error)")
        }
        try await ServiceRunner.run(services.all, logger: logger) { await services.shutdown() }
    }
}

/// Builds the RBAC controller's services from validated settings (the command runs them; `vzauth sandbox` runs them
/// beside its other parts).
struct RBACControllerRuntime {
    var settings: RBACControllerSettings

    /// The running parts: the controller and its management listener, and the client to release afterwards.
    struct Services {
        var all: [any Service]
        var controller: RBACController
        var management: ManagementServer
        var client: KubernetesClient

        /// Releases what outlives the service group (the HTTP client).
        func shutdown() async {
            try? await client.shutdown()
        }
    }

    /// The services, connected to the cluster the settings name.
    ///
    /// - Throws: when the kubeconfig (or the in-cluster configuration) cannot be used.
    func makeServices(logger: Logger) throws -> Services {
        // As kubectl: --kubeconfig, else in a pod its service account, else $KUBECONFIG, else ~/.kube/config.
        let connection = try KubeConnectionLookup()
            .connect(kubeconfig: settings.kubeconfig, context: settings.kubeContext).connection
        let replica = settings.identity ?? ProcessInfo.processInfo.environment["POD_NAME"]
            ?? ProcessInfo.processInfo.hostName
        var election = LeaderElectionConfiguration(namespace: settings.leaderElectionNamespace, identity: replica)
        election.name = settings.leaderElectionID
        var configuration = ControllerConfiguration(leaderElection: election)
        configuration.projectsNamespace = settings.projectsNamespace
        configuration.resyncPeriod = .seconds(settings.resyncPeriod)
        configuration.maximumConcurrentWrites = settings.maxConcurrentWrites

        var clientConfiguration = KubernetesClient.Configuration()
        // Six watches, the Lease, a few reads, and the writes in flight.
        clientConfiguration.maximumConnections = settings.maxConcurrentWrites + 10
        let client = KubernetesClient(connection: connection, configuration: clientConfiguration, logger: logger)
        let registry = PrometheusCollectorRegistry()
        BuildInfo.register(in: registry)
        let controller = RBACController(client: client, configuration: configuration,
                                        metrics: ControllerMetrics(registry: registry), logger: logger)
        let management = ManagementServer(
            listener: settings.management,
            group: MultiThreadedEventLoopGroup.singleton, registry: registry, logger: logger,
            readiness: { controller.readiness })
        logger.info("starting", metadata: ["server": "\(connection.baseURL)", "identity": "\(replica)",
                                           "lease": "\(settings.leaderElectionNamespace)/\(settings.leaderElectionID)"])
        return Services(all: [ControllerService(controller: controller), management], controller: controller,
                        management: management, client: client)
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
