import Foundation
public import KubeClient
public import Logging
import Synchronization
import VerrazzanoRBAC

/// Keeps Verrazzano's RBAC objects equal to the desired state of the cluster's `Verrazzano` and
/// `VerrazzanoProject` resources.
///
/// While it holds the Lease, it watches its inputs and the objects it manages (ClusterRoles, ClusterRoleBindings
/// and RoleBindings labelled `app.kubernetes.io/managed-by=vzauth-rbac`, and Namespaces), and after every change
/// (and every resync period) runs one pass: plan (``ReconcilePlanner``), write, then report each project's
/// status and post Events for what changed. Failed passes are retried with exponential backoff.
///
/// ```swift
/// let controller = RBACController(client: client, configuration: configuration, metrics: metrics, logger: logger)
/// try await controller.run()   // until the task is cancelled; then it releases the Lease
/// ```
public final class RBACController: Sendable {
    let client: KubernetesClient
    let configuration: ControllerConfiguration
    let metrics: ControllerMetrics
    let logger: Logger
    let elector: LeaderElector
    let passes = Mutex<Int>(0)
    /// Warnings already posted per object, so that a persisting problem gives one Event, not one per pass.
    let postedWarnings = Mutex<[ObjectKey: String]>([:])
    /// Why the last pass could not write the role catalogue or the install bindings; empty when it could.
    let installProblems = Mutex<[String]>([])
    /// The watches of the current leadership term (`nil` while not leading), for readiness.
    private let currentInformers = Mutex<Informers?>(nil)

    /// Creates a controller.
    public init(client: KubernetesClient, configuration: ControllerConfiguration, metrics: ControllerMetrics, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.elector = LeaderElector(client: client, configuration: configuration.leaderElection, logger: logger)
    }

    /// Whether this replica is the leader.
    public var isLeader: Bool { self.elector.isLeader }

    /// How many reconciliation passes completed (successful or not) since the start.
    public var completedPasses: Int { self.passes.withLock { $0 } }

    /// Runs until the task is cancelled: waits for the Lease, leads while holding it, and goes back to waiting
    /// when it loses it. On cancellation it stops its watches and releases the Lease.
    public func run() async {
        while !Task.isCancelled {
            do {
                try await self.elector.acquire()
            } catch {
                break
            }
            self.metrics.setLeader(true)
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await self.elector.holdLeadership() }
                group.addTask { await self.lead() }
                _ = await group.next()
                group.cancelAll()
            }
            self.metrics.setLeader(false)
            self.setInstallProblems([])
        }
        // Not cancelled with the caller: the release must reach the API server.
        let elector = self.elector
        await Task { await elector.release() }.value
    }

    // MARK: Leading

    private func lead() async {
        let managed = OwnershipLabels.managedSelector
        let informers = Informers(
            verrazzanos: KubeInformer(.init(resource: Verrazzano.resource)),
            projects: KubeInformer(.init(resource: VerrazzanoProject.resource, namespace: self.configuration.projectsNamespace)),
            // Every ClusterRole (a cluster has about a hundred): the catalogue, and the roles project bindings
            // refer to that others own (`admin`, `view`), whose absence keeps projects Pending.
            clusterRoles: KubeInformer(.init(resource: ClusterRole.resource)),
            clusterRoleBindings: KubeInformer(.init(resource: ClusterRoleBinding.resource, labelSelector: managed)),
            roleBindings: KubeInformer(.init(resource: RoleBinding.resource, labelSelector: managed)),
            namespaces: KubeInformer(.init(resource: Namespace.resource)))
        let signal = ChangeSignal()
        self.currentInformers.withLock { $0 = informers }
        defer { self.currentInformers.withLock { $0 = nil } }
        await withTaskGroup(of: Void.self) { group in
            let timing = KubeInformerTiming(backoff: self.configuration.backoff,
                                            watchTimeoutSeconds: self.configuration.watchTimeoutSeconds)
            func run<Object>(_ informer: KubeInformer<Object>) {
                let resource = informer.target.resource.description
                group.addTask {
                    await informer.run(client: self.client, timing: timing, logger: self.logger,
                                       restarted: { self.metrics.recordWatchRestart(resource: resource, reason: $0.rawValue) },
                                       changed: { signal.signal() })
                }
            }
            run(informers.verrazzanos)
            run(informers.projects)
            run(informers.clusterRoles)
            run(informers.clusterRoleBindings)
            run(informers.roleBindings)
            run(informers.namespaces)
            group.addTask { await self.reconcileLoop(informers, signal: signal) }
            _ = await group.next()
            group.cancelAll()
        }
    }

    private func reconcileLoop(_ informers: Informers, signal: ChangeSignal) async {
        var backoff = self.configuration.backoff
        var retryIn: Duration?
        while !Task.isCancelled {
            await signal.wait(timeout: retryIn ?? self.configuration.resyncPeriod)
            try? await Task.sleep(for: self.configuration.debounce)
            guard !Task.isCancelled, informers.areSynced else { continue }
            let start = ContinuousClock.Instant.now
            let succeeded = await self.reconcile(informers.observed)
            self.metrics.recordReconcile(result: succeeded ? "success" : "error", duration: .now - start)
            self.passes.withLock { $0 += 1 }
            if succeeded {
                backoff.reset()
                retryIn = nil
            } else {
                retryIn = backoff.next()
                self.logger.info("reconciliation incomplete; retrying", metadata: ["retry_in": "\(retryIn!)"])
            }
        }
    }

    /// One pass: plan, write, report. Returns false when a write failed (the pass is retried with backoff); a
    /// missing ClusterRole the controller does not own is waited for through the ClusterRole watch.
    func reconcile(_ observed: ObservedState) async -> Bool {
        let plan = ReconcilePlanner(configuration: self.configuration).plan(observed)
        let executor = PlanExecutor(client: self.client, configuration: self.configuration, metrics: self.metrics,
                                    logger: self.logger)
        let outcome = await executor.execute(plan)
        self.setInstallProblems(outcome.failures[nil] ?? [])
        var states: [String: Int] = [:]
        var statuses: [(ProjectStatus, ReconcilePlan.ProjectReport)] = []
        for report in plan.projects.values.sorted(by: { $0.key < $1.key }) where !report.deleting {
            let status = self.status(for: report, outcome: outcome, missingClusterRoles: plan.missingClusterRoles)
            states[status.state ?? "Pending", default: 0] += 1
            statuses.append((status, report))
        }
        let statusesWritten = await self.writeStatuses(statuses)
        self.metrics.setProjects(byState: states)
        await self.postEvents(plan: plan, outcome: outcome)
        return !outcome.hasFailures && statusesWritten
    }

    // MARK: Readiness

    /// Whether this replica is ready: not while it cannot reach the API server (its last attempt to take or renew
    /// the Lease failed), not while, as the leader, its watches have not synced, and not while, as the leader, it
    /// cannot write the role catalogue or the install bindings (the message says which and why). A replica that
    /// reaches the API server but is not leading is ready.
    public var readiness: (ready: Bool, detail: String) {
        if let failure = self.elector.failure {
            return (false, "cannot reach the API server to take or renew the Lease: \(failure)")
        }
        if let informers = self.currentInformers.withLock({ $0 }), !informers.areSynced {
            return (false, "the watches have not synced yet")
        }
        let problems = self.installProblems.withLock { $0 }
        guard !problems.isEmpty else { return (true, "") }
        return (false, "the role catalogue or install bindings cannot be written: " + problems.joined(separator: "; "))
    }

    func setInstallProblems(_ problems: [String]) {
        self.installProblems.withLock { $0 = problems }
        self.metrics.setInstallObjectsReady(problems.isEmpty)
    }
}

/// The informers of one leadership term.
private struct Informers: Sendable {
    var verrazzanos: KubeInformer<JSONValue>
    var projects: KubeInformer<JSONValue>
    var clusterRoles: KubeInformer<ClusterRole>
    var clusterRoleBindings: KubeInformer<ClusterRoleBinding>
    var roleBindings: KubeInformer<RoleBinding>
    var namespaces: KubeInformer<Namespace>

    var areSynced: Bool {
        self.verrazzanos.isSynced && self.projects.isSynced && self.clusterRoles.isSynced && self.clusterRoleBindings.isSynced
            && self.roleBindings.isSynced && self.namespaces.isSynced
    }

    var observed: ObservedState {
        ObservedState(
            verrazzanos: self.verrazzanos.objects, projects: self.projects.objects, clusterRoles: self.clusterRoles.objects,
            clusterRoleBindings: self.clusterRoleBindings.objects, roleBindings: self.roleBindings.objects,
            namespaces: self.namespaces.objects)
    }
}

extension JSONValue {
    /// The JSON value of an encodable value.
    init(encoding value: some Encodable) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }
}
