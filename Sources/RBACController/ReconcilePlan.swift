public import KubeClient
public import VerrazzanoRBAC

/// The writes that make the cluster equal to the desired state, in order, and what the planner learnt about each
/// project. Made by ``ReconcilePlanner`` from an ``ObservedState``; carried out by the controller.
public struct ReconcilePlan: Sendable {
    /// One write.
    public enum Change: Sendable, Hashable {
        /// Server-side apply of a ClusterRole (by name: the controller may escalate only on its roles' names).
        case applyClusterRole(ClusterRole)
        /// Server-side apply of an install ClusterRoleBinding.
        case applyClusterRoleBinding(ClusterRoleBinding)
        /// Deletes a managed ClusterRoleBinding (before re-creating it with another, immutable, roleRef).
        case deleteClusterRoleBinding(name: String, uid: String?)
        /// Creates a project namespace that does not exist.
        case createNamespace(Namespace)
        /// Sets labels on a namespace (`nil` removes the label), leaving every other label alone.
        case labelNamespace(name: String, labels: [String: String?])
        /// Creates a project RoleBinding; one that exists without the controller's labels is not taken over.
        case createRoleBinding(RoleBinding)
        /// Server-side apply of a managed RoleBinding that drifted.
        case applyRoleBinding(RoleBinding)
        /// Deletes a managed RoleBinding no project wants any more.
        case deleteRoleBinding(namespace: String, name: String, uid: String?)
        /// Sets a project's finalizers (adds or removes the controller's), conditional on the version seen.
        case setProjectFinalizers(ObjectKey, finalizers: [String], resourceVersion: String?)
    }

    /// One write, with the project it is done for (if any) and a one-line description for logs and Events.
    public struct Action: Sendable, Hashable {
        /// The write.
        public var change: Change
        /// The project it belongs to; `nil` for the role catalogue and the install bindings.
        public var project: ObjectKey?
        /// The Event reason: `Created`, `Updated`, `Deleted`, `Labelled`, `Unlabelled`, `FinalizerAdded`, ...
        public var reason: String
        /// E.g. `RoleBinding sales/admin`.
        public var summary: String
    }

    /// What the planner found about one project.
    public struct ProjectReport: Sendable, Hashable {
        /// The project.
        public var key: ObjectKey
        /// Its UID (for Events).
        public var uid: String?
        /// Whether it is being deleted.
        public var deleting: Bool
        /// Why it is invalid (then none of its objects are written or removed); empty when valid.
        public var problems: [String]
        /// The status it has now.
        public var observedStatus: ProjectStatus?
        /// How many namespaces and RoleBindings it should have.
        public var namespaceCount: Int
        /// How many RoleBindings it should have.
        public var roleBindingCount: Int
        /// The ClusterRoles its RoleBindings refer to.
        public var clusterRoles: Set<String> = []
    }

    /// The writes, in the order they must be made.
    public var actions: [Action] = []
    /// Every project seen, by key.
    public var projects: [ObjectKey: ProjectReport] = [:]
    /// Problems of `Verrazzano` resources (then the install bindings are left as they are), by resource.
    public var verrazzanoProblems: [ObjectKey: [String]] = [:]
    /// The names of the ClusterRoles of the role catalogue (the controller's own).
    public var catalogue: Set<String> = []
    /// ClusterRoles that project bindings refer to, that the controller does not own (Kubernetes' `admin` and
    /// `view`, Verrazzano's `verrazzano-managed-cluster`) and that do not exist, with why, by name.
    public var missingClusterRoles: [String: String] = [:]
    /// The `Verrazzano` resource install-level Events are reported on, when there is exactly one.
    public var verrazzano: (key: ObjectKey, uid: String?)?

}
