public import KubeClient
public import VerrazzanoRBAC

/// What the controller saw of the cluster: its inputs (as JSON, since people write them) and the objects it
/// manages (typed, validated by the API server), as the informers hold them.
public struct ObservedState: Sendable {
    /// `Verrazzano` resources (all namespaces).
    public var verrazzanos: [ObjectKey: JSONValue] = [:]
    /// `VerrazzanoProject` resources in the projects namespace.
    public var projects: [ObjectKey: JSONValue] = [:]
    /// Every ClusterRole.
    public var clusterRoles: [ObjectKey: ClusterRole] = [:]
    /// ClusterRoleBindings labelled as managed by this controller.
    public var clusterRoleBindings: [ObjectKey: ClusterRoleBinding] = [:]
    /// RoleBindings labelled as managed by this controller.
    public var roleBindings: [ObjectKey: RoleBinding] = [:]
    /// Every Namespace.
    public var namespaces: [ObjectKey: Namespace] = [:]

    /// Creates an observed state.
    public init(
        verrazzanos: [ObjectKey: JSONValue] = [:],
        projects: [ObjectKey: JSONValue] = [:],
        clusterRoles: [ObjectKey: ClusterRole] = [:],
        clusterRoleBindings: [ObjectKey: ClusterRoleBinding] = [:],
        roleBindings: [ObjectKey: RoleBinding] = [:],
        namespaces: [ObjectKey: Namespace] = [:]
    ) {
        self.verrazzanos = verrazzanos
        self.projects = projects
        self.clusterRoles = clusterRoles
        self.clusterRoleBindings = clusterRoleBindings
        self.roleBindings = roleBindings
        self.namespaces = namespaces
    }
}
