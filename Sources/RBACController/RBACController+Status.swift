import Foundation
import KubeClient
import Logging
import VerrazzanoRBAC

/// The status each project shows after a pass: `state` and one `Ready` condition.
extension RBACController {
    /// The status a project should show after this pass.
    ///
    /// `Succeeded` only when the project is valid, nothing of it failed or belongs to someone else, and every
    /// ClusterRole its bindings refer to is in place: a catalogue role the pass could not write, or a Kubernetes
    /// role (`admin`, `view`) that does not exist, leaves it `Pending` with the reason.
    func status(
        for report: ReconcilePlan.ProjectReport,
        outcome: PlanExecutor.Outcome,
        missingClusterRoles: [String: String]
    ) -> ProjectStatus {
        let state: String
        let message: String
        let roleProblems = report.clusterRoles.sorted().compactMap { outcome.failedClusterRoles[$0] ?? missingClusterRoles[$0] }
        if !report.problems.isEmpty {
            state = "Failed"
            message = "The project is invalid; its RBAC objects are left as they are: " + report.problems.joined(separator: "; ")
        } else if let conflicts = outcome.conflicts[report.key] {
            state = "Failed"
            message = conflicts.joined(separator: "; ")
        } else if let failures = outcome.failures[report.key] {
            state = "Pending"
            message = "Retrying: " + (failures + roleProblems).joined(separator: "; ")
        } else if !roleProblems.isEmpty {
            state = "Pending"
            message = "Waiting for the ClusterRoles the project's role bindings refer to: " + roleProblems.joined(separator: "; ")
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

    /// Writes the statuses that differ from what the projects show, in parallel; true when nothing failed.
    func writeStatuses(_ statuses: [(ProjectStatus, ReconcilePlan.ProjectReport)]) async -> Bool {
        let changed = statuses.filter { $0.0 != $0.1.observedStatus }
        let results = await PlanExecutor.forEach(changed, limit: self.configuration.maximumConcurrentWrites) { status, report in
            await self.writeStatus(status, for: report)
        }
        return !results.contains(false)
    }

    /// Writes one project's status; true when it was written or the project is gone.
    private func writeStatus(_ status: ProjectStatus, for report: ReconcilePlan.ProjectReport) async -> Bool {
        do {
            let patch = try JSONValue.object(["status": JSONValue(encoding: status)])
            try await self.client.perform(.mergePatch(patch, VerrazzanoProject.resource, namespace: report.key.namespace,
                                                      name: report.key.name, subresource: "status"))
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
}
