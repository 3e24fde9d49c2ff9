import KubeClient
import VerrazzanoRBAC

/// Decides, without any I/O, which writes make the cluster equal to the desired state.
///
/// - A project whose bindings refer to a ClusterRole that does not exist is reported (``ReconcilePlan/missingClusterRoles``).
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
        var pass = Pass(observed: observed, configuration: self.configuration)
        pass.readInputs()
        pass.evaluate()
        pass.addFinalizers()
        pass.applyCatalogueAndInstallBindings()
        pass.createOrLabelNamespaces()
        pass.createOrRepairRoleBindings()
        pass.cleanUp()
        pass.releaseDeletedProjects()
        return pass.plan
    }

    /// One planning pass: the inputs, what was learnt so far, and the plan being built.
    private struct Pass {
        let observed: ObservedState
        let finalizer: String
        let projectsNamespace: String
        var plan = ReconcilePlan()
        var inputs: [InputDocument] = []
        var liveProjects: [ObjectKey: KubeObjectMeta] = [:]
        var desired = DesiredState()
        var frozenProjects: Set<ObjectKey> = []
        var desiredNamespaceNames: Set<String> = []
        var desiredBindingKeys: Set<ObjectKey> = []

        init(observed: ObservedState, configuration: ControllerConfiguration) {
            self.observed = observed
            self.finalizer = configuration.projectFinalizer
            self.projectsNamespace = configuration.projectsNamespace
        }

        /// 1. Reads the projects and `Verrazzano` resources; an unreadable object is reported, not fatal.
        mutating func readInputs() {
            for (key, raw) in self.observed.projects.sorted(by: { $0.key < $1.key }) {
                let meta = ReconcilePlanner.metadata(raw) ?? KubeObjectMeta(name: key.name, namespace: key.namespace)
                let deleting = meta.deletionTimestamp != nil
                var report = ReconcilePlan.ProjectReport(
                    key: key, uid: meta.uid, deleting: deleting, problems: [],
                    observedStatus: try? raw["status"]?.decoded(as: ProjectStatus.self), namespaceCount: 0, roleBindingCount: 0)
                if !deleting {
                    do {
                        self.inputs.append(.project(try raw.decoded(as: VerrazzanoProject.self), source: "VerrazzanoProject \(key)"))
                    } catch {
                        report.problems.append("the project cannot be read: \(ReconcilePlanner.describe(error))")
                    }
                    self.liveProjects[key] = meta
                }
                self.plan.projects[key] = report
            }
            let verrazzanoKeys = self.observed.verrazzanos.keys.sorted()
            for key in verrazzanoKeys {
                do {
                    let verrazzano = try self.observed.verrazzanos[key]!.decoded(as: Verrazzano.self)
                    self.inputs.append(.verrazzano(verrazzano, source: "Verrazzano \(key)"))
                } catch {
                    self.plan.verrazzanoProblems[key, default: []].append("the resource cannot be read: \(ReconcilePlanner.describe(error))")
                }
            }
            if verrazzanoKeys.count == 1, let key = verrazzanoKeys.first {
                self.plan.verrazzano = (key, self.observed.verrazzanos[key]?["metadata"]?["uid"]?.stringValue)
            }
            if verrazzanoKeys.count > 1 {
                for key in verrazzanoKeys {
                    self.plan.verrazzanoProblems[key, default: []].append(
                        "there are \(verrazzanoKeys.count) Verrazzano resources; the install bindings are left as they are until there is one")
                }
            }
        }

        /// 2. The desired state of the valid inputs; problems go back to their objects, whose objects are frozen.
        mutating func evaluate() {
            let evaluation = DesiredState.evaluate(self.inputs)
            for problem in evaluation.problems {
                let key = ObjectKey(namespace: problem.namespace ?? "", name: problem.name)
                let text = ReconcilePlanner.describe(problem)
                if problem.kind == "Verrazzano" {
                    self.plan.verrazzanoProblems[key, default: []].append(text)
                } else if self.plan.projects[key] != nil {
                    self.plan.projects[key]?.problems.append(text)
                }
            }
            self.desired = evaluation.state
            self.frozenProjects = Set(self.plan.projects.values.filter { !$0.problems.isEmpty }.map(\.key))
            for binding in self.desired.roleBindings {
                guard let project = self.owner(binding.metadata) else { continue }
                self.plan.projects[project]?.roleBindingCount += 1
                if binding.roleRef.kind == "ClusterRole" { self.plan.projects[project]?.clusterRoles.insert(binding.roleRef.name) }
            }
            self.plan.catalogue = Set(self.desired.clusterRoles.map(\.name))
            let referenced = self.plan.projects.values.filter { !$0.deleting }.flatMap(\.clusterRoles)
            for name in Set(referenced).subtracting(self.plan.catalogue) where self.observed.clusterRoles[ObjectKey(name: name)] == nil {
                self.plan.missingClusterRoles[name] = "ClusterRole \(name) does not exist"
            }
            for namespace in self.desired.namespaces {
                if let project = self.owner(namespace.metadata) { self.plan.projects[project]?.namespaceCount += 1 }
            }
        }

        /// 3. Finalizers first, so that nothing is created for a project that could then vanish without clean-up.
        mutating func addFinalizers() {
            for (key, meta) in self.liveProjects.sorted(by: { $0.key < $1.key }) where !(meta.finalizers ?? []).contains(self.finalizer) {
                self.append(.setProjectFinalizers(key, finalizers: (meta.finalizers ?? []) + [self.finalizer],
                                                  resourceVersion: meta.resourceVersion),
                            project: key, reason: "FinalizerAdded", summary: "finalizer \(self.finalizer)")
            }
        }

        /// 4. The role catalogue and the install bindings, applied when missing or different.
        mutating func applyCatalogueAndInstallBindings() {
            for role in self.desired.clusterRoles {
                let observedRole = self.observed.clusterRoles[ObjectKey(name: role.name)]
                if let observedRole, ReconcilePlanner.matches(observedRole, role) { continue }
                self.append(.applyClusterRole(role), project: nil, reason: observedRole == nil ? "Applied" : "Updated",
                            summary: "ClusterRole \(role.name)")
            }
            for binding in self.desired.clusterRoleBindings {
                let observedBinding = self.observed.clusterRoleBindings[ObjectKey(name: binding.name)]
                if let observedBinding {
                    if ReconcilePlanner.matches(observedBinding, binding) { continue }
                    if observedBinding.roleRef != binding.roleRef {
                        self.append(.deleteClusterRoleBinding(name: binding.name, uid: observedBinding.metadata.uid), project: nil,
                                    reason: "Deleted", summary: "ClusterRoleBinding \(binding.name) (its roleRef cannot change)")
                    }
                }
                self.append(.applyClusterRoleBinding(binding), project: nil, reason: observedBinding == nil ? "Applied" : "Updated",
                            summary: "ClusterRoleBinding \(binding.name)")
            }
        }

        /// 5. Project namespaces: created when missing, else given the labels they lack.
        mutating func createOrLabelNamespaces() {
            for namespace in self.desired.namespaces {
                self.desiredNamespaceNames.insert(namespace.name)
                let project = self.owner(namespace.metadata)
                guard let existing = self.observed.namespaces[ObjectKey(name: namespace.name)] else {
                    self.append(.createNamespace(namespace), project: project, reason: "Created", summary: "Namespace \(namespace.name)")
                    continue
                }
                if existing.metadata.deletionTimestamp != nil { continue }
                let labels = existing.metadata.labels ?? [:]
                var missing: [String: String?] = [:]
                for (key, value) in namespace.metadata.labels ?? [:] where labels[key] != value { missing[key] = value }
                if !missing.isEmpty {
                    self.append(.labelNamespace(name: namespace.name, labels: missing), project: project, reason: "Labelled",
                                summary: "Namespace \(namespace.name)")
                }
            }
        }

        /// 6. Project RoleBindings: created when missing, repaired when drifted, re-created for another roleRef.
        mutating func createOrRepairRoleBindings() {
            for binding in self.desired.roleBindings {
                let key = ObjectKey(namespace: binding.namespace, name: binding.name)
                self.desiredBindingKeys.insert(key)
                let project = self.owner(binding.metadata)
                guard let existing = self.observed.roleBindings[key] else {
                    self.append(.createRoleBinding(binding), project: project, reason: "Created", summary: "RoleBinding \(key)")
                    continue
                }
                if existing.roleRef != binding.roleRef {
                    self.append(.deleteRoleBinding(namespace: key.namespace, name: key.name, uid: existing.metadata.uid),
                                project: project, reason: "Deleted", summary: "RoleBinding \(key) (its roleRef cannot change)")
                    self.append(.createRoleBinding(binding), project: project, reason: "Created", summary: "RoleBinding \(key)")
                } else if !ReconcilePlanner.matches(existing, binding) {
                    self.append(.applyRoleBinding(binding), project: project, reason: "Updated", summary: "RoleBinding \(key)")
                }
            }
        }

        /// 7. Managed RoleBindings and namespace labels that no valid project wants any more.
        mutating func cleanUp() {
            for (key, binding) in self.observed.roleBindings.sorted(by: { $0.key < $1.key }) where !self.desiredBindingKeys.contains(key) {
                let meta = binding.metadata
                guard let project = self.owner(meta), !self.frozenProjects.contains(project) else { continue }
                self.append(.deleteRoleBinding(namespace: key.namespace, name: key.name, uid: meta.uid), project: project,
                            reason: "Deleted", summary: "RoleBinding \(key)")
            }
            for (key, namespace) in self.observed.namespaces.sorted(by: { $0.key < $1.key }) where !self.desiredNamespaceNames.contains(key.name) {
                let meta = namespace.metadata
                guard let project = self.owner(meta), !self.frozenProjects.contains(project), meta.deletionTimestamp == nil else { continue }
                let removed: [String: String?] = [
                    OwnershipLabels.managedByKey: nil, OwnershipLabels.projectKey: nil, OwnershipLabels.projectNamespaceKey: nil,
                ]
                self.append(.labelNamespace(name: key.name, labels: removed), project: project, reason: "Unlabelled",
                            summary: "Namespace \(key.name) (left the project)")
            }
        }

        /// 8. Projects being deleted let go once their objects are gone (the executor skips this after a failure).
        mutating func releaseDeletedProjects() {
            for (key, raw) in self.observed.projects.sorted(by: { $0.key < $1.key }) {
                guard let meta = ReconcilePlanner.metadata(raw), meta.deletionTimestamp != nil,
                      let finalizers = meta.finalizers, finalizers.contains(self.finalizer) else { continue }
                self.append(.setProjectFinalizers(key, finalizers: finalizers.filter { $0 != self.finalizer },
                                                  resourceVersion: meta.resourceVersion),
                            project: key, reason: "FinalizerRemoved", summary: "finalizer \(self.finalizer)")
            }
        }

        private mutating func append(_ change: ReconcilePlan.Change, project: ObjectKey?, reason: String, summary: String) {
            self.plan.actions.append(.init(change: change, project: project, reason: reason, summary: summary))
        }

        private func owner(_ meta: KubeObjectMeta) -> ObjectKey? {
            ReconcilePlanner.owner(meta, projectsNamespace: self.projectsNamespace)
        }
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

    /// Whether an observed ClusterRoleBinding is as desired: roleRef, subjects and labels.
    static func matches(_ observed: ClusterRoleBinding, _ desired: ClusterRoleBinding) -> Bool {
        observed.roleRef == desired.roleRef && observed.subjects == desired.subjects
            && labelsContain(observed.metadata, desired.metadata)
    }

    /// Whether an observed RoleBinding is as desired: roleRef, subjects and labels.
    static func matches(_ observed: RoleBinding, _ desired: RoleBinding) -> Bool {
        observed.roleRef == desired.roleRef && observed.subjects == desired.subjects
            && labelsContain(observed.metadata, desired.metadata)
    }

    /// Whether every label of `desired` is on `observed` with the same value (others may be there too).
    static func labelsContain(_ observed: KubeObjectMeta, _ desired: KubeObjectMeta) -> Bool {
        let labels = observed.labels ?? [:]
        return (desired.labels ?? [:]).allSatisfy { labels[$0.key] == $0.value }
    }

    static func metadata(_ object: JSONValue) -> KubeObjectMeta? {
        try? (object["metadata"] ?? .null).decoded(as: KubeObjectMeta.self)
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
