/// The labels on every object this library produces, so a controller can tell what it created and clean up
/// only that.
///
/// | label | on | value |
/// |---|---|---|
/// | `app.kubernetes.io/managed-by` | every object | `vzauth-rbac` |
/// | `verrazzano.io/project` | a project's Namespaces and RoleBindings | the project's name |
/// | `verrazzano.io/project-namespace` | a project's Namespaces and RoleBindings | the project's namespace (`verrazzano-mc`) |
/// | `verrazzano-managed` | a project's Namespaces | `true` (as Verrazzano set it) |
///
/// ClusterRoles and ClusterRoleBindings carry only `managed-by`: the role catalogue and the install bindings are
/// cluster-wide and belong to no project. To find what a project owns, select
/// `app.kubernetes.io/managed-by=vzauth-rbac,verrazzano.io/project=NAME,verrazzano.io/project-namespace=verrazzano-mc`
/// (see ``projectSelector(project:namespace:)``).
///
/// - Important: A namespace may have existed before its project claimed it, and deleting a namespace deletes
///   every application in it. The labels mark a namespace as belonging to a project; they do not make it safe
///   to delete. Clean up RoleBindings, not Namespaces.
public enum OwnershipLabels {
    /// `app.kubernetes.io/managed-by`.
    public static let managedByKey = "app.kubernetes.io/managed-by"
    /// `vzauth-rbac`.
    public static let managedByValue = "vzauth-rbac"
    /// `verrazzano.io/project`.
    public static let projectKey = "verrazzano.io/project"
    /// `verrazzano.io/project-namespace`.
    public static let projectNamespaceKey = "verrazzano.io/project-namespace"
    /// `verrazzano-managed`, set to `true` on project namespaces.
    public static let verrazzanoManagedKey = "verrazzano-managed"

    /// `managed-by: vzauth-rbac`.
    public static var managed: [String: String] { [managedByKey: managedByValue] }

    /// `managed-by`, `project` and `project-namespace` for objects of the project `project` in `namespace`.
    public static func project(_ project: String, namespace: String) -> [String: String] {
        [managedByKey: managedByValue, projectKey: project, projectNamespaceKey: namespace]
    }

    /// The label selector of every object this library produces.
    public static var managedSelector: String { "\(managedByKey)=\(managedByValue)" }

    /// The label selector of the objects of one project.
    public static func projectSelector(project: String, namespace: String = VerrazzanoProject.projectsNamespace) -> String {
        "\(managedByKey)=\(managedByValue),\(projectKey)=\(project),\(projectNamespaceKey)=\(namespace)"
    }

    /// The keys a project's namespace template may not set to other values than these labels have.
    static let reservedNamespaceLabelKeys = [managedByKey, projectKey, projectNamespaceKey, verrazzanoManagedKey]
}
