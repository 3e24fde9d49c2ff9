/// Every object Verrazzano's RBAC should consist of for a set of `Verrazzano` and `VerrazzanoProject` resources.
///
/// - The role catalogue (``RoleCatalogue``): five component ClusterRoles and four aggregated user ClusterRoles.
/// - The install ClusterRoleBindings (``installBindings(for:)``).
/// - For each project, its Namespaces and their RoleBindings (``projectObjects(for:)``).
///
/// Each list is sorted (by namespace, then name), and ``objects`` lists them in apply order: ClusterRoles,
/// ClusterRoleBindings, Namespaces, RoleBindings. The result depends on the set of inputs, not on their order.
///
/// ```swift
/// let state = try DesiredState(inputs: parsed.inputs)        // all objects, or every problem
/// let partial = DesiredState.evaluate(parsed.inputs)         // objects of the valid inputs, and the problems
/// ```
public struct DesiredState: Sendable, Hashable {
    /// What to include besides the project objects.
    public struct Options: Sendable, Hashable {
        /// Include the nine ClusterRoles of ``RoleCatalogue`` (default `true`).
        public var includeRoleCatalogue: Bool
        /// Include the four install ClusterRoleBindings (default `true`): from the `Verrazzano` resource, or
        /// the defaults if the input has none.
        public var includeInstallBindings: Bool

        /// Creates options.
        public init(includeRoleCatalogue: Bool = true, includeInstallBindings: Bool = true) {
            self.includeRoleCatalogue = includeRoleCatalogue
            self.includeInstallBindings = includeInstallBindings
        }
    }

    /// The result of ``evaluate(_:options:)``: what the valid inputs produce, and the problems of the others.
    public struct Evaluation: Sendable, Hashable {
        /// The objects of the valid inputs.
        public var state: DesiredState
        /// Every problem, in input order.
        public var problems: [RBACInputError.Problem]
    }

    /// The ClusterRoles, by name.
    public var clusterRoles: [ClusterRole]
    /// The ClusterRoleBindings, by name.
    public var clusterRoleBindings: [ClusterRoleBinding]
    /// The project namespaces, by name.
    public var namespaces: [Namespace]
    /// The project RoleBindings, by namespace and name.
    public var roleBindings: [RoleBinding]

    /// Creates a desired state from its parts (sorted here).
    public init(
        clusterRoles: [ClusterRole] = [],
        clusterRoleBindings: [ClusterRoleBinding] = [],
        namespaces: [Namespace] = [],
        roleBindings: [RoleBinding] = []
    ) {
        self.clusterRoles = clusterRoles.sorted { $0.name < $1.name }
        self.clusterRoleBindings = clusterRoleBindings.sorted { $0.name < $1.name }
        self.namespaces = namespaces.sorted { $0.name < $1.name }
        self.roleBindings = roleBindings.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
    }

    /// The desired state of a valid input set.
    ///
    /// - Throws: ``RBACInputError`` with every problem of every input, if any input is invalid; then nothing is
    ///   produced.
    public init(inputs: [InputDocument], options: Options = Options()) throws(RBACInputError) {
        let evaluation = Self.evaluate(inputs, options: options)
        guard evaluation.problems.isEmpty else { throw RBACInputError(problems: evaluation.problems) }
        self = evaluation.state
    }

    /// The desired state of the valid inputs, and the problems of the invalid ones.
    ///
    /// An invalid project produces no objects (nor does any project claiming a namespace another project also
    /// claims). An invalid `Verrazzano` resource, or more than one, produces no install bindings at all, not the
    /// defaults: a typo must not rebind the admin roles.
    public static func evaluate(_ inputs: [InputDocument], options: Options = Options()) -> Evaluation {
        let problems = InputValidation.problems(inputs)
        var clusterRoleBindings: [ClusterRoleBinding] = []
        var namespaces: [Namespace] = []
        var roleBindings: [RoleBinding] = []
        var verrazzanos: [(Verrazzano, valid: Bool)] = []
        for (input, inputProblems) in zip(inputs, problems) {
            switch input.resource {
            case .verrazzano(let verrazzano):
                verrazzanos.append((verrazzano, inputProblems.isEmpty))
            case .project(let project) where inputProblems.isEmpty:
                let objects = Self.projectObjects(for: project)
                namespaces += objects.namespaces
                roleBindings += objects.roleBindings
            case .project:
                break
            }
        }
        if options.includeInstallBindings {
            switch verrazzanos.count {
            case 0: clusterRoleBindings = Self.installBindings(for: nil)
            case 1 where verrazzanos[0].valid: clusterRoleBindings = Self.installBindings(for: verrazzanos[0].0)
            default: break
            }
        }
        let state = DesiredState(
            clusterRoles: options.includeRoleCatalogue ? RoleCatalogue.all : [],
            clusterRoleBindings: clusterRoleBindings,
            namespaces: namespaces,
            roleBindings: roleBindings)
        return Evaluation(state: state, problems: problems.flatMap { $0 })
    }

    /// Every object in apply order: ClusterRoles, ClusterRoleBindings, Namespaces, RoleBindings.
    public var objects: [DesiredObject] {
        self.clusterRoles.map(DesiredObject.clusterRole)
            + self.clusterRoleBindings.map(DesiredObject.clusterRoleBinding)
            + self.namespaces.map(DesiredObject.namespace)
            + self.roleBindings.map(DesiredObject.roleBinding)
    }
}
