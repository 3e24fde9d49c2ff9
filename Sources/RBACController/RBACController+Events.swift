import Foundation
import KubeClient
import Logging
import Synchronization
import VerrazzanoRBAC

/// Events: one Normal Event per project (and one for the install objects) summing up what a pass changed, and a
/// Warning once per distinct problem of a project, of a `Verrazzano` resource, or of the install objects.
extension RBACController {
    func postEvents(plan: ReconcilePlan, outcome: PlanExecutor.Outcome) async {
        var events: [KubeEvent] = []
        let now = Self.rfc3339(Date())
        let component = self.configuration.fieldManager
        for (project, actions) in outcome.done.sorted(by: { ($0.key?.description ?? "") < ($1.key?.description ?? "") }) {
            guard let involved = project.map({ self.projectReference($0, plan: plan) }) ?? self.installReference(plan) else { continue }
            let text = Self.eventText(actions)
            events.append(KubeEvent(about: involved.object, reason: text.reason, message: text.message, warning: false,
                                    component: component, time: now))
        }
        // Warnings once per distinct problem.
        var warnings: [(ObjectKey, KubeEvent.InvolvedObject, String, String)] = []
        for report in plan.projects.values where !report.deleting {
            let involved = self.projectReference(report.key, plan: plan)
            if !report.problems.isEmpty {
                warnings.append((involved.key, involved.object, "InvalidProject", report.problems.joined(separator: "; ")))
            } else if let conflicts = outcome.conflicts[report.key] {
                warnings.append((involved.key, involved.object, "ObjectNotOwned", conflicts.joined(separator: "; ")))
            } else {
                self.postedWarnings.withLock { _ = $0.removeValue(forKey: report.key) }
            }
        }
        for (key, problems) in plan.verrazzanoProblems {
            let involved = self.verrazzanoReference(key, uid: nil)
            warnings.append((involved.key, involved.object, "InvalidVerrazzano", problems.joined(separator: "; ")))
        }
        if let installFailures = outcome.failures[nil], let involved = self.installReference(plan) {
            // Keyed apart from the resource's own problems, so that neither hides the other.
            let key = ObjectKey(namespace: "/install", name: involved.key.description)
            warnings.append((key, involved.object, "InstallObjectsFailed",
                             "The role catalogue or install bindings cannot be written: " + installFailures.joined(separator: "; ")))
        } else {
            self.postedWarnings.withLock { posted in posted = posted.filter { !$0.key.namespace.hasPrefix("/install") } }
        }
        for (key, involved, reason, message) in warnings {
            let isNew = self.postedWarnings.withLock { posted -> Bool in
                guard posted[key] != message else { return false }
                posted[key] = message
                return true
            }
            guard isNew else { continue }
            events.append(KubeEvent(about: involved, reason: reason, message: message, warning: true, component: component, time: now))
        }
        let results = await PlanExecutor.forEach(events, limit: self.configuration.maximumConcurrentWrites) { event -> Bool in
            do {
                try await self.client.perform(.create(event, KubeEvent.resource, namespace: event.metadata.namespace))
                return true
            } catch {
                self.logger.debug("cannot post an event", metadata: ["error": "\(error)"])
                return false
            }
        }
        for posted in results { self.metrics.recordWrite(kind: "Event", action: "create", result: posted ? "success" : "error") }
    }

    /// The reason and message of the Event that sums up `actions` (the changes of one pass to one project, or to
    /// the install objects): the actions' reason if they share one, else `Reconciled`; the message names what
    /// changed by reason, at most eight objects each.
    static func eventText(_ actions: [(reason: String, summary: String)]) -> (reason: String, message: String) {
        var reasons: [String] = []
        var summaries: [String: [String]] = [:]
        for action in actions {
            if summaries[action.reason] == nil { reasons.append(action.reason) }
            summaries[action.reason, default: []].append(action.summary)
        }
        let parts = reasons.map { reason -> String in
            let all = summaries[reason]!
            let shown = all.prefix(8).joined(separator: ", ")
            return "\(reason) \(shown)" + (all.count > 8 ? " and \(all.count - 8) more" : "")
        }
        return (reasons.count == 1 ? reasons[0] : "Reconciled", parts.joined(separator: "; "))
    }

    func projectReference(_ project: ObjectKey, plan: ReconcilePlan) -> (key: ObjectKey, object: KubeEvent.InvolvedObject) {
        (project, .init(apiVersion: VerrazzanoProject.resource.apiVersion, kind: "VerrazzanoProject",
                        namespace: project.namespace, name: project.name, uid: plan.projects[project]?.uid))
    }

    /// What install-level Events are about: the `Verrazzano` resource when there is exactly one, else the
    /// controller's Lease (`kubectl describe lease -n NAMESPACE NAME` shows them).
    func installReference(_ plan: ReconcilePlan) -> (key: ObjectKey, object: KubeEvent.InvolvedObject)? {
        if let verrazzano = plan.verrazzano { return self.verrazzanoReference(verrazzano.key, uid: verrazzano.uid) }
        let lease = self.configuration.leaderElection
        return (ObjectKey(namespace: lease.namespace, name: lease.name),
                .init(apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace: lease.namespace, name: lease.name, uid: nil))
    }

    func verrazzanoReference(_ key: ObjectKey, uid: String?) -> (key: ObjectKey, object: KubeEvent.InvolvedObject) {
        (key, .init(apiVersion: Verrazzano.resource.apiVersion, kind: "Verrazzano",
                    namespace: key.namespace.isEmpty ? "default" : key.namespace, name: key.name, uid: uid))
    }

    /// `2006-01-02T15:04:05Z` in UTC (FoundationEssentials' format style: no ICU, unlike `ISO8601DateFormatter`).
    static func rfc3339(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }
}
