import Foundation
import KubeClient
import Logging
import VerrazzanoRBAC

/// The status each project shows after a pass: `state` and one `Ready` condition.
extension RBACController {
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
    func writeStatus(_ status: ProjectStatus, for report: ReconcilePlan.ProjectReport) async -> Bool {
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
}
