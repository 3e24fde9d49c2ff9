import Foundation
import KubeClient
import Logging
import Prometheus
import RBACController
import VZAuthTestSupport
import VerrazzanoRBAC
import Synchronization

/// An API server double serving the Verrazzano resources, and controllers running against it.
final class ControllerHarness: Sendable {
    let server: KubeAPIEmulator
    /// A client for the test's own reads and writes (another actor than the controllers).
    let client: KubernetesClient

    private init(server: KubeAPIEmulator, client: KubernetesClient) {
        self.server = server
        self.client = client
    }

    /// Runs `body` with a fresh double (namespaces `verrazzano-mc` and `verrazzano-system` exist); tokens
    /// `controller-a` and `controller-b` authenticate two controller replicas.
    static func with(_ body: (ControllerHarness) async throws -> Void) async throws {
        var configuration = KubeAPIEmulator.Configuration()
        configuration.additionalResources = [.verrazzanoProject, .verrazzano]
        for replica in ["a", "b"] {
            configuration.additionalTokens["controller-\(replica)"] = .init(
                name: "system:serviceaccount:verrazzano-system:vzauth-rbac-controller-\(replica)")
        }
        let server = try await KubeAPIEmulator.start(configuration: configuration)
        let client = KubernetesClient(connection: try KubeConnection(serverURL: server.baseURL, credential: .bearerToken("test-token")))
        let harness = ControllerHarness(server: server, client: client)
        for name in ["verrazzano-mc", "verrazzano-system"] {
            try server.upsert(JSONValue.object(["metadata": ["name": .string(name)]]), resource: "namespaces")
        }
        do {
            try await body(harness)
        } catch {
            try? await client.shutdown()
            try? await server.shutdown()
            throw error
        }
        try await client.shutdown()
        try await server.shutdown()
    }

    /// A controller replica (`a` or `b`) with fast timings, running until the returned handle is stopped.
    func startController(_ replica: String = "a") -> RunningController {
        var election = LeaderElectionConfiguration(namespace: "verrazzano-system", identity: "replica-\(replica)")
        election.leaseDuration = .seconds(2)
        election.renewDeadline = .milliseconds(1500)
        election.retryPeriod = .milliseconds(200)
        var configuration = ControllerConfiguration(leaderElection: election)
        configuration.debounce = .milliseconds(20)
        configuration.backoff = Backoff(initial: .milliseconds(50), maximum: .milliseconds(500))
        configuration.resyncPeriod = .seconds(30)
        var clientConfiguration = KubernetesClient.Configuration()
        clientConfiguration.maximumConnections = configuration.maximumConcurrentWrites + 10
        let client = KubernetesClient(connection: try! KubeConnection(serverURL: self.server.baseURL,
                                                                      credential: .bearerToken("controller-\(replica)")),
                                      configuration: clientConfiguration)
        var logger = Logger(label: "test.rbac-controller.\(replica)")
        logger.logLevel = .critical
        let metrics = ControllerMetrics(registry: PrometheusCollectorRegistry())
        let controller = RBACController(client: client, configuration: configuration, metrics: metrics, logger: logger)
        let task = Task { await controller.run() }
        return RunningController(controller: controller, metrics: metrics, client: client, task: task)
    }

    // MARK: Inputs

    /// Creates or replaces a project (v1alpha1 shape) in `verrazzano-mc`.
    @discardableResult
    func putProject(_ name: String, namespaces: [String], clusters: [String] = ["local"], admins: [JSONValue]? = nil,
                    monitors: [JSONValue]? = nil) throws -> JSONValue {
        var security: [String: JSONValue] = [:]
        if let admins { security["projectAdminSubjects"] = .array(admins) }
        if let monitors { security["projectMonitorSubjects"] = .array(monitors) }
        var template: [String: JSONValue] = ["namespaces": .array(namespaces.map { ["metadata": ["name": .string($0)]] })]
        if !security.isEmpty { template["security"] = .object(security) }
        let project: JSONValue = [
            "apiVersion": "clusters.verrazzano.io/v1alpha1", "kind": "VerrazzanoProject",
            "metadata": ["name": .string(name), "namespace": "verrazzano-mc"],
            "spec": ["placement": ["clusters": .array(clusters.map { ["name": .string($0)] })], "template": .object(template)],
        ]
        if self.server.object(resource: "verrazzanoprojects", group: "clusters.verrazzano.io", namespace: "verrazzano-mc", name: name) != nil {
            let spec = try JSONEncoder().encode(JSONValue.object(["spec": project["spec"]!]))
            return try JSONDecoder().decode(JSONValue.self, from: self.server.mergePatchObject(
                resource: "verrazzanoprojects", group: "clusters.verrazzano.io", namespace: "verrazzano-mc", name: name, patch: spec))
        }
        return try JSONDecoder().decode(JSONValue.self, from: self.server.upsert(
            project, resource: "verrazzanoprojects", group: "clusters.verrazzano.io", namespace: "verrazzano-mc"))
    }

    /// Creates or replaces the Verrazzano resource `default/vz` with these admin subjects.
    func putVerrazzano(admins: [JSONValue]) throws {
        try self.server.upsert(JSONValue.object([
            "apiVersion": "install.verrazzano.io/v1beta1", "kind": "Verrazzano",
            "metadata": ["name": "vz", "namespace": "default"],
            "spec": ["security": ["adminSubjects": .array(admins)]],
        ]), resource: "verrazzanos", group: "install.verrazzano.io", namespace: "default")
    }

    // MARK: Reads

    func json(_ resource: String, group: String = "", namespace: String? = nil, _ name: String) -> JSONValue? {
        self.server.object(resource: resource, group: group, namespace: namespace, name: name)
            .flatMap { try? JSONDecoder().decode(JSONValue.self, from: $0) }
    }

    func roleBinding(_ namespace: String, _ name: String) -> RoleBinding? {
        self.server.object(resource: "rolebindings", group: "rbac.authorization.k8s.io", namespace: namespace, name: name)
            .flatMap { try? JSONDecoder().decode(RoleBinding.self, from: $0) }
    }

    func clusterRoleBinding(_ name: String) -> ClusterRoleBinding? {
        self.server.object(resource: "clusterrolebindings", group: "rbac.authorization.k8s.io", name: name)
            .flatMap { try? JSONDecoder().decode(ClusterRoleBinding.self, from: $0) }
    }

    func project(_ name: String) -> JSONValue? {
        self.json("verrazzanoprojects", group: "clusters.verrazzano.io", namespace: "verrazzano-mc", name)
    }

    func projectState(_ name: String) -> String? { self.project(name)?["status"]?["state"]?.stringValue }

    func roleBindingNames(_ namespace: String) -> [String] {
        self.server.objectNames(resource: "rolebindings", group: "rbac.authorization.k8s.io", namespace: namespace)
    }

    /// Event reasons and messages posted in `namespace`.
    func events(_ namespace: String) -> [(reason: String, message: String, type: String)] {
        self.server.objectNames(resource: "events", namespace: namespace).compactMap { name in
            guard let event = self.json("events", namespace: namespace, name) else { return nil }
            return (event["reason"]?.stringValue ?? "", event["message"]?.stringValue ?? "", event["type"]?.stringValue ?? "")
        }
    }

    /// Writes (non-GET) that replica `replica` made.
    func writes(by replica: String) -> [KubeRecordedRequest] {
        self.server.requests.filter { $0.method != "GET" && $0.header("Authorization") == "Bearer controller-\(replica)" }
    }
}

/// A controller running in a task.
struct RunningController: Sendable {
    let controller: RBACController
    let metrics: ControllerMetrics
    let client: KubernetesClient
    let task: Task<Void, Never>

    /// The controller's metrics in the Prometheus text format.
    func metricsText() -> String {
        var buffer: [UInt8] = []
        self.metrics.registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Cancels the controller (it releases the Lease) and waits for it to end.
    func stop() async {
        self.task.cancel()
        await self.task.value
        try? await self.client.shutdown()
    }
}

/// Waits until `condition` holds (polling every 20 ms, at most `timeout`); returns whether it did.
/// The default bound is generous for CI machines running many suites at once; a passing condition returns at once.
func eventually(timeout: Duration = .seconds(30), _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try condition()
}

/// A switch tests flip to start and stop injected failures.
final class Gate: Sendable {
    private let state: Mutex<Bool>

    init(open: Bool) { self.state = Mutex(open) }

    var isOpen: Bool { self.state.withLock { $0 } }

    func set(_ open: Bool) { self.state.withLock { $0 = open } }
}
