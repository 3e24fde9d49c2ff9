/// The role a binding grants (`rbac.authorization.k8s.io/v1` `RoleRef`).
public struct RoleRef: Codable, Sendable, Hashable {
    /// Always `rbac.authorization.k8s.io`.
    public var apiGroup: String
    /// `ClusterRole` or `Role`.
    public var kind: String
    /// The role's name.
    public var name: String

    /// Creates a reference.
    public init(apiGroup: String = Subject.rbacAPIGroup, kind: String, name: String) {
        self.apiGroup = apiGroup
        self.kind = kind
        self.name = name
    }

    /// A reference to the ClusterRole `name`.
    public static func clusterRole(_ name: String) -> RoleRef {
        RoleRef(kind: "ClusterRole", name: name)
    }
}
