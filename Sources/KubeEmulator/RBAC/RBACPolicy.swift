public import KubeModels

/// The RBAC objects of a cluster at one moment, and what they allow: Kubernetes' RBAC authorizer, with
/// ClusterRole aggregation resolved as the API server's aggregation controller resolves it.
///
/// Pure and immutable: the emulator makes a new one when an RBAC object changes.
///
/// ```swift
/// let policy = RBACPolicy(clusterRoles: BootstrapPolicy.clusterRoles + mine, clusterRoleBindings: BootstrapPolicy.clusterRoleBindings)
/// policy.authorize(.resource(bob, "list", "pods", namespace: "hello")).allowed
/// ```
public struct RBACPolicy: Sendable {
    /// ClusterRoles by name, with aggregated rules filled in.
    public let clusterRoles: [String: ClusterRole]
    /// Roles by namespace, then name.
    public let roles: [String: [String: Role]]
    /// ClusterRoleBindings, in name order.
    public let clusterRoleBindings: [ClusterRoleBinding]
    /// RoleBindings by namespace, each in name order.
    public let roleBindings: [String: [RoleBinding]]

    /// Indexes the objects; aggregated ClusterRoles get the rules of the roles their selectors match.
    public init(roles: [Role] = [], clusterRoles: [ClusterRole], roleBindings: [RoleBinding] = [],
                clusterRoleBindings: [ClusterRoleBinding]) {
        var resolved: [String: ClusterRole] = [:]
        for role in clusterRoles {
            var role = role
            if role.aggregationRule != nil { role.rules = role.effectiveRules(among: clusterRoles) }
            resolved[role.name] = role
        }
        self.clusterRoles = resolved
        var byNamespace: [String: [String: Role]] = [:]
        for role in roles { byNamespace[role.namespace, default: [:]][role.name] = role }
        self.roles = byNamespace
        self.clusterRoleBindings = clusterRoleBindings.sorted { $0.name < $1.name }
        self.roleBindings = Dictionary(grouping: roleBindings, by: \.namespace).mapValues { $0.sorted { $0.name < $1.name } }
    }

    /// Kubernetes' decision for `attributes`: members of `system:masters` may do anything; otherwise the rules of
    /// every ClusterRoleBinding, and of every RoleBinding in the request's namespace, that names the user, one of
    /// its groups or (as `system:serviceaccount:NS:NAME`) its service account.
    public func authorize(_ attributes: AccessAttributes) -> RBACDecision {
        if attributes.user.groups.contains(KubeUser.privilegedGroup) {
            return RBACDecision(allowed: true, reason: "")
        }
        var reason: String?
        self.visitGrants(for: attributes.user, namespace: attributes.namespace) { grant, rules in
            guard rules.contains(where: { $0.allows(attributes) }) else { return true }
            reason = "RBAC: allowed by \(grant)"
            return false
        }
        return RBACDecision(allowed: reason != nil, reason: reason ?? "")
    }

    /// Every rule that applies to `user` in `namespace` (cluster-wide only when `nil`), as a
    /// `SelfSubjectRulesReview` lists them; `system:masters` gets a rule allowing everything.
    public func rules(for user: KubeUser, namespace: String?) -> [PolicyRule] {
        if user.groups.contains(KubeUser.privilegedGroup) {
            return [PolicyRule(apiGroups: ["*"], resources: ["*"], verbs: ["*"]), PolicyRule(verbs: ["*"], nonResourceURLs: ["*"])]
        }
        var all: [PolicyRule] = []
        self.visitGrants(for: user, namespace: namespace) { _, rules in
            for rule in rules where !all.contains(rule) { all.append(rule) }
            return true
        }
        return all
    }

    /// The parts of `rules` that `user` does not hold in `namespace` (empty: the user may grant them, as the API
    /// server's escalation check requires of one who creates a role or binding without `escalate` or `bind`).
    public func uncovered(_ rules: [PolicyRule], for user: KubeUser, namespace: String?) -> [PolicyRule] {
        let owned = self.rules(for: user, namespace: namespace)
        return rules.flatMap(\.breakdown).filter { wanted in !owned.contains { $0.covers(wanted) } }
    }

    /// The rules `reference` grants in `namespace` (a Role there, or a ClusterRole), or `nil` when it names none.
    public func rules(of reference: RoleRef, namespace: String?) -> [PolicyRule]? {
        switch reference.kind {
        case "ClusterRole": return self.clusterRoles[reference.name].map { $0.rules ?? [] }
        case "Role": return namespace.flatMap { self.roles[$0]?[reference.name]?.rules }
        default: return nil
        }
    }

    /// Calls `visit` with each binding that applies to `user` (described as Kubernetes' reason text describes it)
    /// and the rules of its role, cluster-wide bindings first, until `visit` returns `false`.
    private func visitGrants(for user: KubeUser, namespace: String?, _ visit: (String, [PolicyRule]) -> Bool) {
        for binding in self.clusterRoleBindings {
            guard let subject = Self.subject(of: binding.subjects, naming: user, namespace: nil),
                  binding.roleRef.kind == "ClusterRole", let role = self.clusterRoles[binding.roleRef.name] else { continue }
            let grant = "ClusterRoleBinding \"\(binding.name)\" of ClusterRole \"\(role.name)\" to \(Self.describe(subject, bindingNamespace: nil))"
            if !visit(grant, role.rules ?? []) { return }
        }
        guard let namespace else { return }
        for binding in self.roleBindings[namespace] ?? [] {
            guard let subject = Self.subject(of: binding.subjects, naming: user, namespace: namespace),
                  let rules = self.rules(of: binding.roleRef, namespace: namespace) else { continue }
            let grant = "RoleBinding \"\(binding.name)/\(namespace)\" of \(binding.roleRef.kind) \"\(binding.roleRef.name)\" to \(Self.describe(subject, bindingNamespace: namespace))"
            if !visit(grant, rules) { return }
        }
    }

    /// The first of `subjects` that names `user`: a `User` by name, a `Group` the user is in, or a `ServiceAccount`
    /// (`system:serviceaccount:NS:NAME`; its namespace defaults to the binding's).
    private static func subject(of subjects: [Subject], naming user: KubeUser, namespace: String?) -> Subject? {
        subjects.first { subject in
            switch subject.kind {
            case "User": return subject.name == user.name
            case "Group": return user.groups.contains(subject.name)
            case "ServiceAccount":
                guard let account = subject.namespace.flatMap({ $0.isEmpty ? nil : $0 }) ?? namespace else { return false }
                return user.name == "system:serviceaccount:\(account):\(subject.name)"
            default: return false
            }
        }
    }

    /// `Group "admins"`, `ServiceAccount "ci/tools"` (its namespace defaulting to the binding's).
    private static func describe(_ subject: Subject, bindingNamespace: String?) -> String {
        guard subject.kind == "ServiceAccount" else { return "\(subject.kind) \"\(subject.name)\"" }
        let namespace = subject.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? bindingNamespace ?? ""
        return "ServiceAccount \"\(subject.name)/\(namespace)\""
    }
}
