import KubeModels

extension DesiredState {
    /// `verrazzano-admins`, the default admin group.
    public static let defaultAdminGroup = "verrazzano-admins"
    /// `verrazzano-monitors`, the default monitor group.
    public static let defaultMonitorGroup = "verrazzano-monitors"

    /// The four install ClusterRoleBindings, by name, for the `Verrazzano` resource (or, for `nil`, the defaults).
    ///
    /// | binding | ClusterRole | subjects |
    /// |---|---|---|
    /// | `verrazzano-admin` | `verrazzano-admin` | `spec.security.adminSubjects`, default Group `verrazzano-admins` |
    /// | `verrazzano-admin-k8s` | `admin` | the same |
    /// | `verrazzano-monitor` | `verrazzano-monitor` | `spec.security.monitorSubjects`, default Group `verrazzano-monitors` |
    /// | `verrazzano-monitor-k8s` | `view` | the same |
    ///
    /// Subjects keep their order and are ``Subject/normalized``. An empty list means the default, as in
    /// Verrazzano. Each binding is labelled `app.kubernetes.io/managed-by: vzauth-rbac`.
    ///
    /// - Important: This does not validate; ``DesiredState/init(inputs:options:)`` does.
    public static func installBindings(for verrazzano: Verrazzano?) -> [ClusterRoleBinding] {
        let security = verrazzano?.spec.security
        let admins = Self.subjects(security?.adminSubjects, default: .group(Self.defaultAdminGroup))
        let monitors = Self.subjects(security?.monitorSubjects, default: .group(Self.defaultMonitorGroup))
        func binding(_ name: String, _ role: String, _ subjects: [Subject]) -> ClusterRoleBinding {
            ClusterRoleBinding(
                metadata: KubeObjectMeta(name: name, labels: OwnershipLabels.managed),
                roleRef: .clusterRole(role),
                subjects: subjects)
        }
        return [
            binding("verrazzano-admin", RoleCatalogue.admin, admins),
            binding("verrazzano-admin-k8s", RoleCatalogue.kubernetesAdmin, admins),
            binding("verrazzano-monitor", RoleCatalogue.monitor, monitors),
            binding("verrazzano-monitor-k8s", RoleCatalogue.kubernetesView, monitors),
        ]
    }

    /// `subjects` normalized, or `[fallback]` if there are none.
    static func subjects(_ subjects: [Subject]?, default fallback: Subject) -> [Subject] {
        guard let subjects, !subjects.isEmpty else { return [fallback] }
        return subjects.map(\.normalized)
    }
}
