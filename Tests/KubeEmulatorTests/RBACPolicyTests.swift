import KubeEmulator
import KubeModels
import Testing

@Suite("RBAC as kube-apiserver evaluates it")
struct RBACPolicyTests {
    static let bob = KubeUser(name: "bob", groups: ["team-a", KubeUser.authenticatedGroup])

    static func policy(roles: [Role] = [], clusterRoles: [ClusterRole] = [], roleBindings: [RoleBinding] = [],
                       clusterRoleBindings: [ClusterRoleBinding] = []) -> RBACPolicy {
        RBACPolicy(roles: roles, clusterRoles: BootstrapPolicy.clusterRoles + clusterRoles, roleBindings: roleBindings,
                   clusterRoleBindings: BootstrapPolicy.clusterRoleBindings + clusterRoleBindings)
    }

    static func roleBinding(_ name: String, in namespace: String, to role: RoleRef, _ subjects: [Subject]) -> RoleBinding {
        RoleBinding(metadata: KubeObjectMeta(name: name, namespace: namespace), roleRef: role, subjects: subjects)
    }

    @Test("rule matching: verbs, groups, resource/subresource and */subresource, names, non-resource URLs")
    func ruleMatching() {
        let rule = PolicyRule(apiGroups: ["apps"], resources: ["deployments", "*/scale"], verbs: ["get", "update"], resourceNames: ["web"])
        #expect(rule.allows(.resource(Self.bob, "get", group: "apps", "deployments", name: "web")))
        #expect(rule.allows(.resource(Self.bob, "update", group: "apps", "statefulsets", subresource: "scale", name: "web")))
        #expect(!rule.allows(.resource(Self.bob, "get", group: "apps", "deployments", subresource: "status", name: "web")),
                "a resource without its subresource does not grant the subresource")
        #expect(!rule.allows(.resource(Self.bob, "get", group: "apps", "deployments", name: "db")))
        #expect(!rule.allows(.resource(Self.bob, "list", group: "apps", "deployments")), "a list has no name: named rules never match it")
        #expect(!rule.allows(.resource(Self.bob, "get", group: "", "deployments", name: "web")))
        #expect(!rule.allows(.resource(Self.bob, "delete", group: "apps", "deployments", name: "web")))
        let urls = PolicyRule(verbs: ["get"], nonResourceURLs: ["/version", "/apis/*", "/healthz**"])
        #expect(urls.allows(.nonResource(Self.bob, "get", path: "/version")))
        #expect(!urls.allows(.nonResource(Self.bob, "get", path: "/version/")))
        #expect(urls.allows(.nonResource(Self.bob, "get", path: "/apis/apps/v1")))
        #expect(urls.allows(.nonResource(Self.bob, "get", path: "/healthz/etcd")))
        #expect(!urls.allows(.nonResource(Self.bob, "post", path: "/version")))
        #expect(!urls.allows(.resource(Self.bob, "get", "version")), "URL rules never match resources")
        let all = PolicyRule(apiGroups: ["*"], resources: ["*"], verbs: ["*"])
        #expect(all.allows(.resource(Self.bob, "escalate", group: "rbac.authorization.k8s.io", "clusterroles")))
        #expect(!all.allows(.nonResource(Self.bob, "get", path: "/metrics")), "resource rules never match URLs")
    }

    @Test("a RoleBinding grants its role in its own namespace only; a ClusterRoleBinding everywhere")
    func bindingScope() {
        let reader = ClusterRole(metadata: KubeObjectMeta(name: "pod-reader"),
                                 rules: [PolicyRule(apiGroups: [""], resources: ["pods"], verbs: ["get", "list"])])
        let policy = Self.policy(clusterRoles: [reader], roleBindings: [
            Self.roleBinding("readers", in: "hello", to: .clusterRole("pod-reader"), [.group("team-a")]),
        ])
        let allowed = policy.authorize(.resource(Self.bob, "list", "pods", namespace: "hello"))
        #expect(allowed.allowed)
        #expect(allowed.reason == #"RBAC: allowed by RoleBinding "readers/hello" of ClusterRole "pod-reader" to Group "team-a""#)
        #expect(!policy.authorize(.resource(Self.bob, "list", "pods", namespace: "default")).allowed)
        #expect(!policy.authorize(.resource(Self.bob, "list", "pods")).allowed, "not across all namespaces")
        let everywhere = Self.policy(clusterRoles: [reader], clusterRoleBindings: [
            ClusterRoleBinding(metadata: KubeObjectMeta(name: "bob-reads"), roleRef: .clusterRole("pod-reader"), subjects: [.user("bob")]),
        ])
        let cluster = everywhere.authorize(.resource(Self.bob, "list", "pods"))
        #expect(cluster.allowed)
        #expect(cluster.reason == #"RBAC: allowed by ClusterRoleBinding "bob-reads" of ClusterRole "pod-reader" to User "bob""#)
        #expect(everywhere.authorize(.resource(Self.bob, "get", "pods", namespace: "kube-system", name: "x")).allowed)
    }

    @Test("Roles bind within their namespace; service accounts match as system:serviceaccount:NS:NAME")
    func rolesAndServiceAccounts() {
        let role = Role(metadata: KubeObjectMeta(name: "cm-writer", namespace: "tools"),
                        rules: [PolicyRule(apiGroups: [""], resources: ["configmaps"], verbs: ["create"])])
        let policy = Self.policy(roles: [role], roleBindings: [
            Self.roleBinding("ci", in: "tools", to: RoleRef(kind: "Role", name: "cm-writer"), [Subject(kind: "ServiceAccount", name: "ci")]),
            Self.roleBinding("elsewhere", in: "other", to: RoleRef(kind: "Role", name: "cm-writer"), [.user("bob")]),
        ])
        let account = KubeUser(name: "system:serviceaccount:tools:ci", groups: ["system:serviceaccounts", KubeUser.authenticatedGroup])
        let decision = policy.authorize(.resource(account, "create", "configmaps", namespace: "tools"))
        #expect(decision.allowed)
        #expect(decision.reason == #"RBAC: allowed by RoleBinding "ci/tools" of Role "cm-writer" to ServiceAccount "ci/tools""#)
        #expect(!policy.authorize(.resource(KubeUser(name: "system:serviceaccount:other:ci"), "create", "configmaps", namespace: "tools")).allowed)
        #expect(!policy.authorize(.resource(Self.bob, "create", "configmaps", namespace: "other")).allowed,
                "a binding to a Role of another namespace grants nothing")
    }

    @Test("bootstrap: system:masters does anything; every authenticated user may discover, ask who they are and what they may do")
    func bootstrap() {
        let policy = Self.policy()
        let admin = KubeUser(name: "admin", groups: [KubeUser.privilegedGroup, KubeUser.authenticatedGroup])
        #expect(policy.authorize(.resource(admin, "delete", "namespaces", name: "kube-system")).allowed)
        #expect(policy.authorize(.resource(Self.bob, "create", group: "authentication.k8s.io", "selfsubjectreviews")).allowed)
        #expect(policy.authorize(.resource(Self.bob, "create", group: "authorization.k8s.io", "selfsubjectaccessreviews")).allowed)
        #expect(policy.authorize(.resource(Self.bob, "create", group: "authorization.k8s.io", "selfsubjectrulesreviews")).allowed)
        #expect(!policy.authorize(.resource(Self.bob, "create", group: "authorization.k8s.io", "subjectaccessreviews")).allowed)
        #expect(policy.authorize(.nonResource(Self.bob, "get", path: "/apis/apps/v1")).allowed)
        #expect(!policy.authorize(.nonResource(Self.bob, "get", path: "/metrics")).allowed)
        let anonymous = KubeUser(name: "system:anonymous", groups: [KubeUser.unauthenticatedGroup])
        #expect(policy.authorize(.nonResource(anonymous, "get", path: "/version")).allowed)
        #expect(!policy.authorize(.nonResource(anonymous, "get", path: "/api")).allowed)
        #expect(!policy.authorize(.resource(Self.bob, "list", "pods", namespace: "default")).allowed)
    }

    @Test("bootstrap admin, edit and view are aggregated with upstream rules: view never reads secrets, edit does, admin binds roles")
    func aggregatedUserRoles() {
        let policy = Self.policy()
        let view = policy.clusterRoles["view"]?.rules ?? []
        let edit = policy.clusterRoles["edit"]?.rules ?? []
        let admin = policy.clusterRoles["admin"]?.rules ?? []
        func can(_ rules: [PolicyRule], _ verb: String, group: String = "", _ resource: String, subresource: String? = nil) -> Bool {
            rules.contains { $0.allows(.resource(Self.bob, verb, group: group, resource, subresource: subresource, namespace: "ns")) }
        }
        #expect(can(view, "list", "pods") && can(view, "get", "pods", subresource: "log") && can(view, "watch", group: "apps", "deployments"))
        #expect(!can(view, "get", "secrets") && !can(view, "create", "pods", subresource: "exec") && !can(view, "create", "configmaps"))
        #expect(can(edit, "get", "secrets") && can(edit, "create", "pods", subresource: "exec") && can(edit, "create", "pods", subresource: "portforward"))
        #expect(can(edit, "list", "pods"), "edit aggregates view (view carries the aggregate-to-edit label)")
        #expect(!can(edit, "create", group: "rbac.authorization.k8s.io", "rolebindings"))
        #expect(can(admin, "create", group: "rbac.authorization.k8s.io", "rolebindings") && can(admin, "delete", "secrets") && can(admin, "list", "pods"))
        #expect(!can(admin, "create", group: "rbac.authorization.k8s.io", "clusterroles") && !can(admin, "update", "resourcequotas"))
    }

    @Test("escalation: rules are covered only by rules that grant at least as much")
    func escalation() {
        let policy = Self.policy(roleBindings: [Self.roleBinding("edit", in: "hello", to: .clusterRole("edit"), [.user("bob")])])
        #expect(policy.uncovered([PolicyRule(apiGroups: [""], resources: ["configmaps", "secrets"], verbs: ["get", "create"])],
                                 for: Self.bob, namespace: "hello").isEmpty)
        let uncovered = policy.uncovered([PolicyRule(apiGroups: [""], resources: ["configmaps", "nodes"], verbs: ["get"])],
                                         for: Self.bob, namespace: "hello")
        #expect(uncovered == [PolicyRule(apiGroups: [""], resources: ["nodes"], verbs: ["get"])])
        #expect(!policy.uncovered([PolicyRule(apiGroups: [""], resources: ["configmaps"], verbs: ["get"])], for: Self.bob, namespace: "other").isEmpty)
        // Names and wildcards.
        let named = PolicyRule(apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["a"])
        #expect(PolicyRule(apiGroups: [""], resources: ["secrets"], verbs: ["get"]).covers(named))
        #expect(!named.covers(PolicyRule(apiGroups: [""], resources: ["secrets"], verbs: ["get"])))
        #expect(PolicyRule(apiGroups: ["*"], resources: ["*/status"], verbs: ["*"]).covers(PolicyRule(apiGroups: ["apps"], resources: ["deployments/status"], verbs: ["patch"])))
        #expect(!PolicyRule(apiGroups: ["apps"], resources: ["deployments"], verbs: ["*"]).covers(PolicyRule(apiGroups: ["apps"], resources: ["*"], verbs: ["get"])))
        #expect(PolicyRule(verbs: ["get"], nonResourceURLs: ["/apis/*"]).covers(PolicyRule(verbs: ["get"], nonResourceURLs: ["/apis/apps"])))
        let superuser = KubeUser(name: "root", groups: [KubeUser.privilegedGroup])
        #expect(policy.uncovered([PolicyRule(apiGroups: ["*"], resources: ["*"], verbs: ["*"])], for: superuser, namespace: nil).isEmpty)
    }
}
