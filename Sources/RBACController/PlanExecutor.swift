import Foundation
import KubeClient
import Logging
import VerrazzanoRBAC

/// Carries out a ``ReconcilePlan``'s writes in order and reports what happened per project.
struct PlanExecutor: Sendable {
    /// What the writes achieved.
    struct Outcome: Sendable {
        /// Failed writes per project (`nil`: the catalogue and install bindings); they are retried with backoff.
        var failures: [ObjectKey?: [String]] = [:]
        /// Objects in the way that belong to someone else, per project; not retried until something changes.
        var conflicts: [ObjectKey: [String]] = [:]
        /// The writes that succeeded (for Events).
        var done: [ReconcilePlan.Action] = []

        var hasFailures: Bool { !self.failures.isEmpty }
    }

    let client: KubernetesClient
    let configuration: ControllerConfiguration
    let metrics: ControllerMetrics
    let logger: Logger

    func execute(_ plan: ReconcilePlan) async -> Outcome {
        var outcome = Outcome()
        for action in plan.actions {
            if Task.isCancelled { break }
            if case .setProjectFinalizers(_, let finalizers, _) = action.change, let project = action.project,
               !finalizers.contains(self.configuration.projectFinalizer),
               outcome.failures[project] != nil || outcome.conflicts[project] != nil {
                // A project lets go only after all its objects are gone.
                continue
            }
            do {
                let kept = try await self.perform(action.change)
                metrics.recordWrite(kind: action.change.kind, action: action.change.verb, result: "success")
                switch kept {
                case .done:
                    outcome.done.append(action)
                    logger.info("\(action.reason.lowercased()) \(action.summary)", metadata: [
                        "project": "\(action.project?.description ?? "-")"])
                case .unchanged:
                    break
                case .notOurs(let message):
                    if let project = action.project { outcome.conflicts[project, default: []].append(message) }
                    logger.warning("not touching an object the controller does not own", metadata: [
                        "object": "\(action.summary)", "project": "\(action.project?.description ?? "-")"])
                }
            } catch {
                let conflict = (error as? KubeAPIError)?.isConflict == true
                metrics.recordWrite(kind: action.change.kind, action: action.change.verb, result: conflict ? "conflict" : "error")
                outcome.failures[action.project, default: []].append("\(action.summary): \(error)")
                logger.warning("write failed", metadata: [
                    "object": "\(action.summary)", "project": "\(action.project?.description ?? "-")", "error": "\(error)"])
            }
        }
        return outcome
    }

    enum Result {
        /// The write changed the cluster.
        case done
        /// Nothing needed changing after all (already gone, or already there).
        case unchanged
        /// An object of that name exists and is not the controller's.
        case notOurs(String)
    }

    private func perform(_ change: ReconcilePlan.Change) async throws -> Result {
        let manager = self.configuration.fieldManager
        switch change {
        case .applyClusterRole(let role):
            _ = try await client.apply(role, ClusterRole.resource, name: role.name, fieldManager: manager)
        case .applyClusterRoleBinding(let binding):
            _ = try await client.apply(binding, ClusterRoleBinding.resource, name: binding.name, fieldManager: manager)
        case .deleteClusterRoleBinding(let name, let uid):
            return try await self.delete(ClusterRoleBinding.resource, namespace: nil, name: name, uid: uid)
        case .createNamespace(let namespace):
            var object = namespace
            object.spec = nil
            do {
                _ = try await client.create(object, Namespace.resource)
            } catch let error as KubeAPIError where error.isAlreadyExists {
                // Created meanwhile; it is labelled on the next pass.
                return .unchanged
            }
        case .labelNamespace(let name, let labels):
            let patch: JSONValue = ["metadata": ["labels": .object(labels.mapValues { $0.map(JSONValue.string) ?? .null })]]
            do {
                _ = try await client.patch(JSONValue.self, Namespace.resource, name: name, mergePatch: patch)
            } catch let error as KubeAPIError where error.isNotFound {
                return .unchanged
            }
        case .createRoleBinding(let binding):
            do {
                _ = try await client.create(binding, RoleBinding.resource, namespace: binding.namespace)
            } catch let error as KubeAPIError where error.isAlreadyExists {
                // Ours (made by an earlier pass, not yet seen by the watch), or someone else's.
                let existing = try await client.get(RoleBinding.self, RoleBinding.resource, namespace: binding.namespace,
                                                    name: binding.name)
                let labels = existing.metadata.labels ?? [:]
                guard labels[OwnershipLabels.managedByKey] == OwnershipLabels.managedByValue else {
                    return .notOurs("RoleBinding \(binding.namespace)/\(binding.name) exists and is not managed by vzauth-rbac "
                        + "(no label \(OwnershipLabels.managedByKey)=\(OwnershipLabels.managedByValue)); it was left alone")
                }
                guard !ReconcilePlanner.matches(existing, binding) else { return .unchanged }
                _ = try await client.apply(binding, RoleBinding.resource, namespace: binding.namespace, name: binding.name,
                                           fieldManager: manager)
            }
        case .applyRoleBinding(let binding):
            _ = try await client.apply(binding, RoleBinding.resource, namespace: binding.namespace, name: binding.name,
                                       fieldManager: manager)
        case .deleteRoleBinding(let namespace, let name, let uid):
            return try await self.delete(RoleBinding.resource, namespace: namespace, name: name, uid: uid)
        case .setProjectFinalizers(let key, let finalizers, let resourceVersion):
            var metadata: [String: JSONValue] = ["finalizers": .array(finalizers.map(JSONValue.string))]
            if let resourceVersion { metadata["resourceVersion"] = .string(resourceVersion) }
            do {
                _ = try await client.patch(JSONValue.self, VerrazzanoProject.resource, namespace: key.namespace, name: key.name,
                                           mergePatch: JSONValue.object(["metadata": .object(metadata)]))
            } catch let error as KubeAPIError where error.isNotFound {
                return .unchanged
            }
        }
        return .done
    }

    private func delete(_ resource: KubeResource, namespace: String?, name: String, uid: String?) async throws -> Result {
        do {
            try await client.delete(resource, namespace: namespace, name: name, preconditions: nil, uid: uid)
            return .done
        } catch let error as KubeAPIError where error.isNotFound {
            return .unchanged
        }
    }
}

extension ReconcilePlan.Change {
    /// The kind written, for metrics.
    var kind: String {
        switch self {
        case .applyClusterRole: "ClusterRole"
        case .applyClusterRoleBinding, .deleteClusterRoleBinding: "ClusterRoleBinding"
        case .createNamespace, .labelNamespace: "Namespace"
        case .createRoleBinding, .applyRoleBinding, .deleteRoleBinding: "RoleBinding"
        case .setProjectFinalizers: "VerrazzanoProject"
        }
    }

    /// The kind of write, for metrics.
    var verb: String {
        switch self {
        case .applyClusterRole, .applyClusterRoleBinding, .applyRoleBinding: "apply"
        case .createNamespace, .createRoleBinding: "create"
        case .deleteClusterRoleBinding, .deleteRoleBinding: "delete"
        case .labelNamespace: "label"
        case .setProjectFinalizers: "finalizer"
        }
    }
}
