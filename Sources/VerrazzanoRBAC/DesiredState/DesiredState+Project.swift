import KubeModels

extension DesiredState {
    /// The Namespaces and RoleBindings of one project.
    public struct ProjectObjects: Sendable, Hashable {
        /// The namespaces, by name.
        public var namespaces: [Namespace]
        /// The RoleBindings, by namespace and name.
        public var roleBindings: [RoleBinding]
    }

    /// The name of the local cluster, which gets no managed-cluster binding.
    public static let localCluster = "local"

    /// `verrazzano-project-<project>-admins`, the default project admin group.
    public static func defaultProjectAdminGroup(_ project: String) -> String { "verrazzano-project-\(project)-admins" }
    /// `verrazzano-project-<project>-monitors`, the default project monitor group.
    public static func defaultProjectMonitorGroup(_ project: String) -> String { "verrazzano-project-\(project)-monitors" }

    /// The objects of one project.
    ///
    /// For each template namespace: the Namespace, labelled with the template's labels, `verrazzano-managed: "true"`
    /// and the project's ``OwnershipLabels`` (these win over the template's), with the template's annotations and
    /// spec. In it, RoleBindings:
    ///
    /// | binding | ClusterRole | subjects |
    /// |---|---|---|
    /// | `verrazzano-project-admin` | `verrazzano-project-admin` | admin subjects, default Group `verrazzano-project-<project>-admins` |
    /// | `admin` | `admin` | the same |
    /// | `verrazzano-project-monitor` | `verrazzano-project-monitor` | monitor subjects, default Group `verrazzano-project-<project>-monitors` |
    /// | `view` | `view` | the same |
    /// | `verrazzano-cluster-<cluster>`, per placement cluster but `local` | `verrazzano-managed-cluster` | ServiceAccount `verrazzano-cluster-<cluster>` in `verrazzano-mc` |
    ///
    /// Subjects come from ``VerrazzanoProject/security`` (either shape), keep their order and are
    /// ``Subject/normalized``; an empty list means the default.
    ///
    /// - Important: This does not validate; ``DesiredState/init(inputs:options:)`` does.
    public static func projectObjects(for project: VerrazzanoProject) -> ProjectObjects {
        let name = project.name
        let owner = OwnershipLabels.project(name, namespace: project.metadata.namespace ?? VerrazzanoProject.projectsNamespace)
        let admins = Self.subjects(project.security?.projectAdminSubjects, default: .group(Self.defaultProjectAdminGroup(name)))
        let monitors = Self.subjects(project.security?.projectMonitorSubjects, default: .group(Self.defaultProjectMonitorGroup(name)))
        let clusters = project.spec.placement.clusters.map(\.name).filter { $0 != Self.localCluster }

        var namespaces: [Namespace] = []
        var roleBindings: [RoleBinding] = []
        for template in project.spec.template.namespaces {
            let namespaceName = template.metadata.name ?? ""
            var labels = template.metadata.labels ?? [:]
            labels[OwnershipLabels.verrazzanoManagedKey] = "true"
            labels.merge(owner) { _, ours in ours }
            namespaces.append(Namespace(
                metadata: KubeObjectMeta(name: namespaceName, labels: labels, annotations: template.metadata.annotations),
                spec: template.spec))

            func binding(_ bindingName: String, _ role: String, _ subjects: [Subject]) -> RoleBinding {
                RoleBinding(
                    metadata: KubeObjectMeta(name: bindingName, namespace: namespaceName, labels: owner),
                    roleRef: .clusterRole(role),
                    subjects: subjects)
            }
            roleBindings += [
                binding("verrazzano-project-admin", RoleCatalogue.projectAdmin, admins),
                binding("admin", RoleCatalogue.kubernetesAdmin, admins),
                binding("verrazzano-project-monitor", RoleCatalogue.projectMonitor, monitors),
                binding("view", RoleCatalogue.kubernetesView, monitors),
            ]
            for cluster in clusters {
                let account = "verrazzano-cluster-\(cluster)"
                roleBindings.append(binding(
                    account, RoleCatalogue.managedCluster,
                    [.serviceAccount(account, namespace: VerrazzanoProject.projectsNamespace)]))
            }
        }
        return ProjectObjects(
            namespaces: namespaces.sorted { $0.name < $1.name },
            roleBindings: roleBindings.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) })
    }
}
