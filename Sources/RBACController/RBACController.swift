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
    private let client: KubernetesClient
    private let configuration: ControllerConfiguration
    private let metrics: ControllerMetrics
    private let logger: Logger
    private let elector: LeaderElector
    private let passes = Mutex<Int>(0)
    /// Warnings already posted per object, so that a persisting problem gives one Event, not one per pass.
    private let postedWarnings = Mutex<[ObjectKey: String]>([:])

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
        }
        // Not cancelled with the caller: the release must reach the API server.
        let elector = self.elector
        await Task { await elector.release() }.value
    }

    // MARK: Leading

    private func lead() async {
        let managed = OwnershipLabels.managedSelector
        let informers = Informers(
            verrazzanos: ObjectInformer(.init(resource: Verrazzano.resource)),
            projects: ObjectInformer(.init(resource: VerrazzanoProject.resource, namespace: self.configuration.projectsNamespace)),
            clusterRoles: ObjectInformer(.init(resource: ClusterRole.resource, labelSelector: managed)),
            clusterRoleBindings: ObjectInformer(.init(resource: ClusterRoleBinding.resource, labelSelector: managed)),
            roleBindings: ObjectInformer(.init(resource: RoleBinding.resource, labelSelector: managed)),
            namespaces: ObjectInformer(.init(resource: Namespace.resource)))
        let signal = ChangeSignal()
        await withTaskGroup(of: Void.self) { group in
            for informer in informers.all {
                group.addTask {
                    await informer.run(client: self.client, configuration: self.configuration, metrics: self.metrics,
                                       logger: self.logger, changed: { signal.signal() })
                }
            }
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
            guard !Task.isCancelled, informers.all.allSatisfy(\.isSynced) else { continue }
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

    /// One pass: plan, write, report. Returns false when a write failed (the pass is retried with backoff).
    func reconcile(_ observed: ObservedState) async -> Bool {
        let plan = ReconcilePlanner(configuration: self.configuration).plan(observed)
        let executor = PlanExecutor(client: self.client, configuration: self.configuration, metrics: self.metrics,
                                    logger: self.logger)
        let outcome = await executor.execute(plan)
        var statusFailed = false
        var states: [String: Int] = [:]
        for report in plan.projects.values.sorted(by: { $0.key < $1.key }) where !report.deleting {
            let status = self.status(for: report, outcome: outcome)
            states[status.state ?? "Pending", default: 0] += 1
            if !(await self.writeStatus(status, for: report)) { statusFailed = true }
        }
        self.metrics.setProjects(byState: states)
        await self.postEvents(plan: plan, outcome: outcome)
        return !outcome.hasFailures && !statusFailed
    }

    // MARK: Status

    /// The status a project should show after this pass.
    func status(for report: ReconcilePlan.ProjectReport, outcome: PlanExecutor.Outcome) -> ProjectStatus {
        let state: String
        let message: String
        if !report.problems.isEmpty {
            state = "Failed"
            message = "The project is invalid; its RBAC objects are left as they are: " + report.problems.joined(separator: "; ")
        } else if let conflicts = outcome.conflicts[report.key] {
            state = "Failed"
            message = conflicts.joined(separator: "; ")
        } else if let failures = outcome.failures[report.key] {
            state = "Pending"
            message = "Retrying: " + failures.joined(separator: "; ")
        } else {
            state = "Succeeded"
            message = "\(report.namespaceCount) namespace(s) and \(report.roleBindingCount) role binding(s) are in place"
        }
        let ready = state == "Succeeded" ? "True" : "False"
        let previous = report.observedStatus?.conditions?.first { $0.type == "Ready" }
        let transition = previous?.status == ready ? previous?.lastTransitionTime : Self.rfc3339(Date())
        var status = report.observedStatus ?? ProjectStatus()
        status.state = state
        status.conditions = [ProjectStatus.Condition(type: "Ready", status: ready, lastTransitionTime: transition, message: message)]
        return status
    }

    /// Writes the status if it differs from what the project shows; true when nothing failed.
    private func writeStatus(_ status: ProjectStatus, for report: ReconcilePlan.ProjectReport) async -> Bool {
        guard status != report.observedStatus else { return true }
        do {
            let patch = try JSONValue.object(["status": JSONValue(encoding: status)])
            _ = try await self.client.patch(JSONValue.self, VerrazzanoProject.resource, namespace: report.key.namespace,
                                            name: report.key.name, subresource: "status", mergePatch: patch)
            self.metrics.recordWrite(kind: "VerrazzanoProject", action: "status", result: "success")
            return true
        } catch let error as KubeAPIError where error.isNotFound {
            return true
        } catch {
            self.metrics.recordWrite(kind: "VerrazzanoProject", action: "status", result: "error")
            self.logger.warning("cannot write the project status", metadata: ["project": "\(report.key)", "error": "\(error)"])
            return false
        }
    }

    // MARK: Events

    private func postEvents(plan: ReconcilePlan, outcome: PlanExecutor.Outcome) async {
        var events: [(ObjectKey, KubeEvent)] = []
        let now = Self.rfc3339(Date())
        let component = self.configuration.fieldManager
        for action in outcome.done {
            guard let involved = self.involvedObject(for: action.project, plan: plan) else { continue }
            events.append((involved.key, KubeEvent(about: involved.object, reason: action.reason,
                                                   message: "\(action.reason) \(action.summary)", warning: false,
                                                   component: component, time: now)))
        }
        // Warnings once per distinct problem.
        var warnings: [(ObjectKey, String, String)] = []
        for report in plan.projects.values where !report.deleting {
            if !report.problems.isEmpty {
                warnings.append((report.key, "InvalidProject", report.problems.joined(separator: "; ")))
            } else if let conflicts = outcome.conflicts[report.key] {
                warnings.append((report.key, "ObjectNotOwned", conflicts.joined(separator: "; ")))
            } else {
                self.postedWarnings.withLock { _ = $0.removeValue(forKey: report.key) }
            }
        }
        for (key, problems) in plan.verrazzanoProblems {
            warnings.append((key, "InvalidVerrazzano", problems.joined(separator: "; ")))
        }
        for (key, reason, message) in warnings {
            let isNew = self.postedWarnings.withLock { posted -> Bool in
                guard posted[key] != message else { return false }
                posted[key] = message
                return true
            }
            let project = plan.projects[key] != nil ? key : nil
            guard isNew, let involved = project.map({ self.involvedObject(for: $0, plan: plan) })
                    ?? self.verrazzanoReference(key, uid: nil) else { continue }
            events.append((involved.key, KubeEvent(about: involved.object, reason: reason, message: message, warning: true,
                                                   component: component, time: now)))
        }
        for (_, event) in events {
            do {
                _ = try await self.client.create(event, KubeEvent.resource, namespace: event.metadata.namespace)
                self.metrics.recordWrite(kind: "Event", action: "create", result: "success")
            } catch {
                self.metrics.recordWrite(kind: "Event", action: "create", result: "error")
                self.logger.debug("cannot post an event", metadata: ["error": "\(error)"])
            }
        }
    }

    private func involvedObject(for project: ObjectKey?, plan: ReconcilePlan) -> (key: ObjectKey, object: KubeEvent.InvolvedObject)? {
        if let project {
            let uid = plan.projects[project]?.uid
            return (project, .init(apiVersion: VerrazzanoProject.resource.apiVersion, kind: "VerrazzanoProject",
                                   namespace: project.namespace, name: project.name, uid: uid))
        }
        guard let verrazzano = plan.verrazzano else { return nil }
        return self.verrazzanoReference(verrazzano.key, uid: verrazzano.uid)
    }

    private func verrazzanoReference(_ key: ObjectKey, uid: String?) -> (key: ObjectKey, object: KubeEvent.InvolvedObject)? {
        (key, .init(apiVersion: Verrazzano.resource.apiVersion, kind: "Verrazzano",
                    namespace: key.namespace.isEmpty ? "default" : key.namespace, name: key.name, uid: uid))
    }

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// The informers of one leadership term.
private struct Informers: Sendable {
    var verrazzanos: ObjectInformer
    var projects: ObjectInformer
    var clusterRoles: ObjectInformer
    var clusterRoleBindings: ObjectInformer
    var roleBindings: ObjectInformer
    var namespaces: ObjectInformer

    var all: [ObjectInformer] { [verrazzanos, projects, clusterRoles, clusterRoleBindings, roleBindings, namespaces] }

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
