public import KubeClient

/// What the controller saw of the cluster: its inputs and the objects it manages, as the informers hold them.
public struct ObservedState: Sendable {
    /// `Verrazzano` resources (all namespaces).
    public var verrazzanos: [ObjectKey: JSONValue] = [:]
    /// `VerrazzanoProject` resources in the projects namespace.
    public var projects: [ObjectKey: JSONValue] = [:]
    /// ClusterRoles labelled as managed by this controller.
    public var clusterRoles: [ObjectKey: JSONValue] = [:]
    /// ClusterRoleBindings labelled as managed by this controller.
    public var clusterRoleBindings: [ObjectKey: JSONValue] = [:]
    /// RoleBindings labelled as managed by this controller.
    public var roleBindings: [ObjectKey: JSONValue] = [:]
    /// Every Namespace.
    public var namespaces: [ObjectKey: JSONValue] = [:]

    /// Creates an observed state.
    public init(
        verrazzanos: [ObjectKey: JSONValue] = [:],
        projects: [ObjectKey: JSONValue] = [:],
        clusterRoles: [ObjectKey: JSONValue] = [:],
        clusterRoleBindings: [ObjectKey: JSONValue] = [:],
        roleBindings: [ObjectKey: JSONValue] = [:],
        namespaces: [ObjectKey: JSONValue] = [:]
    ) {
        self.verrazzanos = verrazzanos
        self.projects = projects
        self.clusterRoles = clusterRoles
        self.clusterRoleBindings = clusterRoleBindings
        self.roleBindings = roleBindings
        self.namespaces = namespaces
    }
}
