import Foundation
import KubeClient
import Logging
import Synchronization
import VerrazzanoRBAC

/// Events: a Normal Event for each change made, a Warning once per distinct problem of a project or `Verrazzano`.
extension RBACController {
    func postEvents(plan: ReconcilePlan, outcome: PlanExecutor.Outcome) async {
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

    func involvedObject(for project: ObjectKey?, plan: ReconcilePlan) -> (key: ObjectKey, object: KubeEvent.InvolvedObject)? {
        if let project {
            let uid = plan.projects[project]?.uid
            return (project, .init(apiVersion: VerrazzanoProject.resource.apiVersion, kind: "VerrazzanoProject",
                                   namespace: project.namespace, name: project.name, uid: uid))
        }
        guard let verrazzano = plan.verrazzano else { return nil }
        return self.verrazzanoReference(verrazzano.key, uid: verrazzano.uid)
    }

    func verrazzanoReference(_ key: ObjectKey, uid: String?) -> (key: ObjectKey, object: KubeEvent.InvolvedObject)? {
        (key, .init(apiVersion: Verrazzano.resource.apiVersion, kind: "Verrazzano",
                    namespace: key.namespace.isEmpty ? "default" : key.namespace, name: key.name, uid: uid))
    }

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
