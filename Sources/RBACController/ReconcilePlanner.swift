public import KubeClient
public import VerrazzanoRBAC

/// Decides, without any I/O, which writes make the cluster equal to the desired state.
///
/// - The role catalogue and the four install bindings are the controller's by name: they are applied when missing
///   or different (an existing unlabelled object of that name, e.g. left by Verrazzano, is taken over).
/// - Project namespaces are created when missing and labelled; their other labels and their spec are left alone.
/// - Project RoleBindings are created when missing. One that exists without the controller's labels belongs to
///   someone else: it is not touched, and the project reports the conflict.
/// - A managed RoleBinding no valid project wants (its project was deleted, or its namespace left the template)
///   is deleted; a namespace a project no longer claims loses the project labels but is never deleted.
/// - An invalid project, or a set of `Verrazzano` resources that is not exactly one valid one, freezes what it
///   owns: nothing is written or removed for it until it is fixed.
/// - Every live project gets the finalizer; a project being deleted loses it after its objects are gone.
public struct ReconcilePlanner: Sendable {
    /// The controller's settings (projects namespace, finalizer).
    public var configuration: ControllerConfiguration

    /// Creates a planner.
    public init(configuration: ControllerConfiguration) {
        self.configuration = configuration
    }

    /// The plan for `observed`.
    public func plan(_ observed: ObservedState) -> ReconcilePlan {
        var plan = ReconcilePlan()
        let finalizer = self.configuration.projectFinalizer
        let projectsNamespace = self.configuration.projectsNamespace

        // 1. Read the inputs; an unreadable object is reported, not fatal.
        var inputs: [InputDocument] = []
        var liveProjects: [ObjectKey: (meta: KubeObjectMeta, raw: JSONValue)] = [:]
        for (key, raw) in observed.projects.sorted(by: { $0.key < $1.key }) {
            let meta = (try? (raw["metadata"] ?? .null).decoded(as: KubeObjectMeta.self)) ?? KubeObjectMeta(name: key.name, namespace: key.namespace)
            let deleting = meta.deletionTimestamp != nil
            var report = ReconcilePlan.ProjectReport(
                key: key, uid: meta.uid, deleting: deleting, problems: [],
                observedStatus: try? raw["status"]?.decoded(as: ProjectStatus.self), namespaceCount: 0, roleBindingCount: 0)
            if !deleting {
                do {
                    let project = try raw.decoded(as: VerrazzanoProject.self)
                    inputs.append(.project(project, source: "VerrazzanoProject \(key)"))
                } catch {
                    report.problems.append("the project cannot be read: \(Self.describe(error))")
                }
                liveProjects[key] = (meta, raw)
            }
            plan.projects[key] = report
        }
        var verrazzanoKeys: [ObjectKey] = []
        for (key, raw) in observed.verrazzanos.sorted(by: { $0.key < $1.key }) {
            verrazzanoKeys.append(key)
            do {
                inputs.append(.verrazzano(try raw.decoded(as: Verrazzano.self), source: "Verrazzano \(key)"))
            } catch {
                plan.verrazzanoProblems[key, default: []].append("the resource cannot be read: \(Self.describe(error))")
            }
        }
        if verrazzanoKeys.count == 1, let key = verrazzanoKeys.first {
            plan.verrazzano = (key, observed.verrazzanos[key]?["metadata"]?["uid"]?.stringValue)
        }

        // 2. The desired state of the valid inputs; problems go back to their objects.
        let evaluation = DesiredState.evaluate(inputs)
        for problem in evaluation.problems {
            let key = ObjectKey(namespace: problem.namespace ?? "", name: problem.name)
            let text = Self.describe(problem)
            if problem.kind == "Verrazzano" {
                plan.verrazzanoProblems[key, default: []].append(text)
            } else if plan.projects[key] != nil {
                plan.projects[key]?.problems.append(text)
            }
        }
        if verrazzanoKeys.count > 1 {
            for key in verrazzanoKeys {
                plan.verrazzanoProblems[key, default: []].append(
                    "there are \(verrazzanoKeys.count) Verrazzano resources; the install bindings are left as they are until there is one")
            }
        }
        let desired = evaluation.state
        let frozenProjects = Set(plan.projects.values.filter { !$0.problems.isEmpty }.map(\.key))
        for binding in desired.roleBindings {
            if let project = Self.owner(binding.metadata, projectsNamespace: projectsNamespace) {
                plan.projects[project]?.roleBindingCount += 1
            }
        }
        for namespace in desired.namespaces {
            if let project = Self.owner(namespace.metadata, projectsNamespace: projectsNamespace) {
                plan.projects[project]?.namespaceCount += 1
            }
        }

        // 3. Finalizers first, so that nothing is created for a project that could then vanish without cleanup.
        for (key, live) in liveProjects.sorted(by: { $0.key < $1.key }) where !(live.meta.finalizers ?? []).contains(finalizer) {
            plan.actions.append(.init(
                change: .setProjectFinalizers(key, finalizers: (live.meta.finalizers ?? []) + [finalizer],
                                              resourceVersion: live.meta.resourceVersion),
                project: key, reason: "FinalizerAdded", summary: "finalizer \(finalizer)"))
        }

        // 4. The role catalogue and the install bindings.
        for role in desired.clusterRoles {
            let observedRole = observed.clusterRoles[ObjectKey(name: role.name)].flatMap { try? $0.decoded(as: ClusterRole.self) }
            if let observedRole, Self.matches(observedRole, role) { continue }
            plan.actions.append(.init(change: .applyClusterRole(role), project: nil,
                                      reason: observedRole == nil ? "Applied" : "Updated", summary: "ClusterRole \(role.name)"))
        }
        for binding in desired.clusterRoleBindings {
            let raw = observed.clusterRoleBindings[ObjectKey(name: binding.name)]
            let observedBinding = raw.flatMap { try? $0.decoded(as: ClusterRoleBinding.self) }
            if let observedBinding {
                if Self.labelsContain(observedBinding.metadata, binding.metadata) && observedBinding.roleRef == binding.roleRef
                    && observedBinding.subjects == binding.subjects { continue }
                if observedBinding.roleRef != binding.roleRef {
                    plan.actions.append(.init(
                        change: .deleteClusterRoleBinding(name: binding.name, uid: observedBinding.metadata.uid),
                        project: nil, reason: "Deleted", summary: "ClusterRoleBinding \(binding.name) (its roleRef cannot change)"))
                }
            }
            plan.actions.append(.init(change: .applyClusterRoleBinding(binding), project: nil,
                                      reason: observedBinding == nil ? "Applied" : "Updated", summary: "ClusterRoleBinding \(binding.name)"))
        }

        // 5. Project namespaces: created, or labelled.
        var desiredNamespaceNames = Set<String>()
        for namespace in desired.namespaces {
            desiredNamespaceNames.insert(namespace.name)
            let project = Self.owner(namespace.metadata, projectsNamespace: projectsNamespace)
            guard let existing = observed.namespaces[ObjectKey(name: namespace.name)] else {
                plan.actions.append(.init(change: .createNamespace(namespace), project: project, reason: "Created",
                                          summary: "Namespace \(namespace.name)"))
                continue
            }
            if existing["metadata"]?["deletionTimestamp"] != nil { continue }
            let labels = Self.labels(existing)
            var missing: [String: String?] = [:]
            for (key, value) in namespace.metadata.labels ?? [:] where labels[key] != value { missing[key] = value }
            if !missing.isEmpty {
                plan.actions.append(.init(change: .labelNamespace(name: namespace.name, labels: missing), project: project,
                                          reason: "Labelled", summary: "Namespace \(namespace.name)"))
            }
        }

        // 6. Project RoleBindings: created when missing, repaired when drifted.
        var desiredBindingKeys = Set<ObjectKey>()
        for binding in desired.roleBindings {
            let key = ObjectKey(namespace: binding.namespace, name: binding.name)
            desiredBindingKeys.insert(key)
            let project = Self.owner(binding.metadata, projectsNamespace: projectsNamespace)
            guard let raw = observed.roleBindings[key] else {
                plan.actions.append(.init(change: .createRoleBinding(binding), project: project, reason: "Created",
                                          summary: "RoleBinding \(key)"))
                continue
            }
            guard let existing = try? raw.decoded(as: RoleBinding.self) else {
                plan.actions.append(.init(change: .applyRoleBinding(binding), project: project, reason: "Updated",
                                          summary: "RoleBinding \(key)"))
                continue
            }
            if existing.roleRef != binding.roleRef {
                plan.actions.append(.init(change: .deleteRoleBinding(namespace: key.namespace, name: key.name, uid: existing.metadata.uid),
                                          project: project, reason: "Deleted", summary: "RoleBinding \(key) (its roleRef cannot change)"))
                plan.actions.append(.init(change: .createRoleBinding(binding), project: project, reason: "Created",
                                          summary: "RoleBinding \(key)"))
            } else if existing.subjects != binding.subjects || !Self.labelsContain(existing.metadata, binding.metadata) {
                plan.actions.append(.init(change: .applyRoleBinding(binding), project: project, reason: "Updated",
                                          summary: "RoleBinding \(key)"))
            }
        }

        // 7. Clean-up: managed RoleBindings and namespace labels no valid project wants.
        for (key, raw) in observed.roleBindings.sorted(by: { $0.key < $1.key }) where !desiredBindingKeys.contains(key) {
            let meta = (try? (raw["metadata"] ?? .null).decoded(as: KubeObjectMeta.self)) ?? KubeObjectMeta()
            guard let project = Self.owner(meta, projectsNamespace: projectsNamespace), !frozenProjects.contains(project) else { continue }
            plan.actions.append(.init(change: .deleteRoleBinding(namespace: key.namespace, name: key.name, uid: meta.uid),
                                      project: project, reason: "Deleted", summary: "RoleBinding \(key)"))
        }
        for (key, raw) in observed.namespaces.sorted(by: { $0.key < $1.key }) where !desiredNamespaceNames.contains(key.name) {
            let meta = (try? (raw["metadata"] ?? .null).decoded(as: KubeObjectMeta.self)) ?? KubeObjectMeta()
            guard let project = Self.owner(meta, projectsNamespace: projectsNamespace), !frozenProjects.contains(project),
                  meta.deletionTimestamp == nil else { continue }
            let removed: [String: String?] = [
                OwnershipLabels.managedByKey: nil, OwnershipLabels.projectKey: nil, OwnershipLabels.projectNamespaceKey: nil,
            ]
            plan.actions.append(.init(change: .labelNamespace(name: key.name, labels: removed), project: project,
                                      reason: "Unlabelled", summary: "Namespace \(key.name) (left the project)"))
        }

        // 8. Projects being deleted let go once their objects are gone.
        for (key, raw) in observed.projects.sorted(by: { $0.key < $1.key }) {
            guard let meta = try? (raw["metadata"] ?? .null).decoded(as: KubeObjectMeta.self), meta.deletionTimestamp != nil,
                  let finalizers = meta.finalizers, finalizers.contains(finalizer) else { continue }
            plan.actions.append(.init(
                change: .setProjectFinalizers(key, finalizers: finalizers.filter { $0 != finalizer }, resourceVersion: meta.resourceVersion),
                project: key, reason: "FinalizerRemoved", summary: "finalizer \(finalizer)"))
        }
        return plan
    }

    // MARK: Comparisons

    /// Whether an observed ClusterRole is as desired: labels, and the aggregation rule for an aggregated role
    /// (the cluster's aggregation controller owns its rules) or else the rules.
    static func matches(_ observed: ClusterRole, _ desired: ClusterRole) -> Bool {
        guard labelsContain(observed.metadata, desired.metadata) else { return false }
        if let rule = desired.aggregationRule {
            return observed.aggregationRule == rule
        }
        return observed.aggregationRule == nil && (observed.rules ?? []) == (desired.rules ?? [])
    }

    /// Whether every label of `desired` is on `observed` with the same value (others may be there too).
    static func labelsContain(_ observed: KubeObjectMeta, _ desired: KubeObjectMeta) -> Bool {
        let labels = observed.labels ?? [:]
        return (desired.labels ?? [:]).allSatisfy { labels[$0.key] == $0.value }
    }

    static func labels(_ object: JSONValue) -> [String: String] {
        guard case .object(let members)? = object["metadata"]?["labels"] else { return [:] }
        return members.compactMapValues(\.stringValue)
    }

    /// The project an object is labelled as belonging to, if it is managed and in this controller's project namespace.
    static func owner(_ meta: KubeObjectMeta, projectsNamespace: String) -> ObjectKey? {
        let labels = meta.labels ?? [:]
        guard labels[OwnershipLabels.managedByKey] == OwnershipLabels.managedByValue,
              labels[OwnershipLabels.projectNamespaceKey] == projectsNamespace,
              let project = labels[OwnershipLabels.projectKey], !project.isEmpty else { return nil }
        return ObjectKey(namespace: projectsNamespace, name: project)
    }

    /// `path: Reason: message` of a problem (its object is known from context).
    static func describe(_ problem: RBACInputError.Problem) -> String {
        (problem.path.isEmpty ? "" : "\(problem.path): ") + "\(problem.reason): \(problem.message)"
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DecodingError {
            switch error {
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
                 .dataCorrupted(let context):
                let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                return (path.isEmpty ? "" : "\(path.hasPrefix(".") ? String(path.dropFirst()) : path): ") + context.debugDescription
            @unknown default:
                return "\(error)"
            }
        }
        return "\(error)"
    }
}
