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
        /// What the writes that changed something did, by project (`nil`: the install objects), for Events.
        var done: [ObjectKey?: [(reason: String, summary: String)]] = [:]
        /// ClusterRoles of the catalogue that could not be written, with why, by name.
        var failedClusterRoles: [String: String] = [:]

        var hasFailures: Bool { !self.failures.isEmpty }
    }

    let client: KubernetesClient
    let configuration: ControllerConfiguration
    let metrics: ControllerMetrics
    let logger: Logger

    /// Carries out the plan's writes stage by stage (``stage(_:)``): within a stage, at most
    /// ``ControllerConfiguration/maximumConcurrentWrites`` writes are in flight; writes to the same object stay in
    /// plan order, and one that fails skips the rest for that object. A project's finalizer is released only when
    /// nothing of it failed.
    func execute(_ plan: ReconcilePlan) async -> Outcome {
        var outcome = Outcome()
        // Indices into the plan's actions, so that a pass over thousands of objects does not copy them around.
        let actions = plan.actions
        var stages: [Int: [Int]] = [:]
        for (index, action) in actions.enumerated() { stages[self.stage(action.change), default: []].append(index) }
        for stage in stages.keys.sorted() {
            if Task.isCancelled { break }
            var chains: [[Int]] = []
            var chainOfTarget: [ObjectKey: Int] = [:]
            for index in stages[stage]! {
                let action = actions[index]
                if case .setProjectFinalizers(_, let finalizers, _) = action.change, let project = action.project,
                   !finalizers.contains(self.configuration.projectFinalizer),
                   outcome.failures[project] != nil || outcome.conflicts[project] != nil {
                    // A project lets go only after all its objects are gone.
                    continue
                }
                let target = action.change.target
                if let chain = chainOfTarget[target] {
                    chains[chain].append(index)
                } else {
                    chainOfTarget[target] = chains.count
                    chains.append([index])
                }
            }
            let results = await Self.forEach(chains, limit: self.configuration.maximumConcurrentWrites) { chain in
                var results: [(Int, Swift.Result<Result, any Error>)] = []
                for index in chain {
                    do {
                        results.append((index, .success(try await self.perform(actions[index].change))))
                    } catch {
                        results.append((index, .failure(error)))
                        break
                    }
                }
                return results
            }
            for (index, result) in results.joined() { self.record(actions[index], result, in: &outcome) }
        }
        return outcome
    }

    /// Runs `body` for every element with at most `limit` running at once; the results come in element order.
    static func forEach<Element: Sendable, Value: Sendable>(
        _ elements: [Element],
        limit: Int,
        _ body: @escaping @Sendable (Element) async -> Value
    ) async -> [Value] {
        await withTaskGroup(of: (Int, Value).self) { group in
            var results = [Value?](repeating: nil, count: elements.count)
            var next = 0
            while next < min(max(limit, 1), elements.count) {
                let index = next
                group.addTask { (index, await body(elements[index])) }
                next += 1
            }
            while let (index, value) = await group.next() {
                results[index] = value
                if next < elements.count, !Task.isCancelled {
                    let index = next
                    group.addTask { (index, await body(elements[index])) }
                    next += 1
                }
            }
            return results.compactMap { $0 }
        }
    }

    private func record(_ action: ReconcilePlan.Action, _ result: Swift.Result<Result, any Error>, in outcome: inout Outcome) {
        let project = action.project?.description ?? "-"
        switch result {
        case .success(let kept):
            metrics.recordWrite(kind: action.change.kind, action: action.change.verb, result: "success")
            switch kept {
            case .done:
                outcome.done[action.project, default: []].append((action.reason, action.summary))
                logger.info("\(action.reason.lowercased()) \(action.summary)", metadata: ["project": "\(project)"])
            case .unchanged:
                break
            case .notOurs(let message):
                if let key = action.project { outcome.conflicts[key, default: []].append(message) }
                logger.warning("not touching an object the controller does not own", metadata: [
                    "object": "\(action.summary)", "project": "\(project)"])
            }
        case .failure(let error):
            let conflict = (error as? KubeAPIError)?.isConflict == true
            metrics.recordWrite(kind: action.change.kind, action: action.change.verb, result: conflict ? "conflict" : "error")
            let message = "\(action.summary): \(error)"
            outcome.failures[action.project, default: []].append(message)
            if case .applyClusterRole(let role) = action.change { outcome.failedClusterRoles[role.name] = message }
            logger.warning("write failed", metadata: [
                "object": "\(action.summary)", "project": "\(project)", "error": "\(error)"])
        }
    }

    /// When a write happens: every write of a stage is done before the next stage starts, so that a project has
    /// its finalizer before anything of it exists, RoleBindings find their namespace, and a project is released
    /// only after its objects are gone.
    func stage(_ change: ReconcilePlan.Change) -> Int {
        switch change {
        case .setProjectFinalizers(_, let finalizers, _): finalizers.contains(self.configuration.projectFinalizer) ? 0 : 4
        case .applyClusterRole, .applyClusterRoleBinding, .deleteClusterRoleBinding: 1
        case .createNamespace, .labelNamespace: 2
        case .createRoleBinding, .applyRoleBinding, .deleteRoleBinding: 3
        }
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
            try await client.perform(.apply(role, ClusterRole.resource, name: role.name, fieldManager: manager))
        case .applyClusterRoleBinding(let binding):
            try await client.perform(.apply(binding, ClusterRoleBinding.resource, name: binding.name, fieldManager: manager))
        case .deleteClusterRoleBinding(let name, let uid):
            return try await self.delete(ClusterRoleBinding.resource, namespace: nil, name: name, uid: uid)
        case .createNamespace(let namespace):
            var object = namespace
            object.spec = nil
            do {
                try await client.perform(.create(object, Namespace.resource))
            } catch let error as KubeAPIError where error.isAlreadyExists {
                // Created meanwhile; it is labelled on the next pass.
                return .unchanged
            }
        case .labelNamespace(let name, let labels):
            let patch: JSONValue = ["metadata": ["labels": .object(labels.mapValues { $0.map(JSONValue.string) ?? .null })]]
            do {
                try await client.perform(.mergePatch(patch, Namespace.resource, name: name))
            } catch let error as KubeAPIError where error.isNotFound {
                return .unchanged
            }
        case .createRoleBinding(let binding):
            do {
                try await client.perform(.create(binding, RoleBinding.resource, namespace: binding.namespace))
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
                try await client.perform(.apply(binding, RoleBinding.resource, namespace: binding.namespace, name: binding.name,
                                                fieldManager: manager))
            }
        case .applyRoleBinding(let binding):
            try await client.perform(.apply(binding, RoleBinding.resource, namespace: binding.namespace, name: binding.name,
                                            fieldManager: manager))
        case .deleteRoleBinding(let namespace, let name, let uid):
            return try await self.delete(RoleBinding.resource, namespace: namespace, name: name, uid: uid)
        case .setProjectFinalizers(let key, let finalizers, let resourceVersion):
            var metadata: [String: JSONValue] = ["finalizers": .array(finalizers.map(JSONValue.string))]
            if let resourceVersion { metadata["resourceVersion"] = .string(resourceVersion) }
            do {
                try await client.perform(.mergePatch(JSONValue.object(["metadata": .object(metadata)]), VerrazzanoProject.resource,
                                                     namespace: key.namespace, name: key.name))
            } catch let error as KubeAPIError where error.isNotFound {
                return .unchanged
            }
        }
        return .done
    }

    private func delete(_ resource: KubeResource, namespace: String?, name: String, uid: String?) async throws -> Result {
        do {
            try await client.perform(.delete(resource, namespace: namespace, name: name, uid: uid))
            return .done
        } catch let error as KubeAPIError where error.isNotFound {
            return .unchanged
        }
    }
}

extension ReconcilePlan.Change {
    /// The object written (writes to one object keep their order).
    var target: ObjectKey {
        switch self {
        case .applyClusterRole(let role): ObjectKey(namespace: "/clusterroles", name: role.name)
        case .applyClusterRoleBinding(let binding): ObjectKey(namespace: "/clusterrolebindings", name: binding.name)
        case .deleteClusterRoleBinding(let name, _): ObjectKey(namespace: "/clusterrolebindings", name: name)
        case .createNamespace(let namespace): ObjectKey(namespace: "/namespaces", name: namespace.name)
        case .labelNamespace(let name, _): ObjectKey(namespace: "/namespaces", name: name)
        case .createRoleBinding(let binding), .applyRoleBinding(let binding):
            ObjectKey(namespace: binding.namespace, name: binding.name)
        case .deleteRoleBinding(let namespace, let name, _): ObjectKey(namespace: namespace, name: name)
        case .setProjectFinalizers(let key, _, _): ObjectKey(namespace: "/projects/\(key.namespace)", name: key.name)
        }
    }

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
