import KubeEmulator
import KubeModels
import Testing
import VerrazzanoRBAC

/// What the Verrazzano role catalogue and the bindings the RBAC controller makes (install bindings, and those of a
/// project `hello` with namespace `hello`) let the sandbox's users do, as the emulator's RBAC decides it.
@Suite("Verrazzano roles and bindings, evaluated")
struct VerrazzanoRBACTableTests {
    static let alice = KubeUser(name: "alice", groups: [DesiredState.defaultAdminGroup, KubeUser.authenticatedGroup])
    static let bob = KubeUser(name: "bob", groups: [DesiredState.defaultProjectMonitorGroup("hello"), KubeUser.authenticatedGroup])
    static let carol = KubeUser(name: "carol", groups: [KubeUser.authenticatedGroup])
    static let dave = KubeUser(name: "dave", groups: [DesiredState.defaultProjectAdminGroup("hello"), KubeUser.authenticatedGroup])

    static let policy: RBACPolicy = {
        let hello = VerrazzanoProject(
            apiVersion: "clusters.verrazzano.io/v1alpha1",
            metadata: KubeObjectMeta(name: "hello", namespace: VerrazzanoProject.projectsNamespace),
            spec: .init(placement: .init(clusters: [.init(name: "local")]),
                        template: .init(namespaces: [.init(metadata: KubeObjectMeta(name: "hello"))])))
        return RBACPolicy(
            clusterRoles: BootstrapPolicy.clusterRoles + RoleCatalogue.all,
            roleBindings: DesiredState.projectObjects(for: hello).roleBindings,
            clusterRoleBindings: BootstrapPolicy.clusterRoleBindings + DesiredState.installBindings(for: nil))
    }()

    struct Row: Sendable, CustomTestStringConvertible {
        var user: KubeUser
        var verb: String
        var group = ""
        var resource: String
        var subresource: String?
        var namespace: String?
        var allowed: Bool
        var testDescription: String {
            "\(user.name) \(allowed ? "may" : "may not") \(verb) \(resource)\(subresource.map { "/\($0)" } ?? "") \(namespace.map { "in \($0)" } ?? "cluster-wide")"
        }
    }

    static let table: [Row] = [
        // alice, a Verrazzano admin: Kubernetes admin in every namespace, and Verrazzano's resources.
        Row(user: alice, verb: "list", resource: "pods", namespace: "hello", allowed: true),
        Row(user: alice, verb: "list", resource: "secrets", allowed: true),
        Row(user: alice, verb: "create", resource: "pods", subresource: "exec", namespace: "default", allowed: true),
        Row(user: alice, verb: "create", group: "rbac.authorization.k8s.io", resource: "rolebindings", namespace: "hello", allowed: true),
        Row(user: alice, verb: "create", group: "clusters.verrazzano.io", resource: "verrazzanoprojects", namespace: "verrazzano-mc", allowed: true),
        Row(user: alice, verb: "create", resource: "namespaces", allowed: false),
        Row(user: alice, verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterroles", allowed: false),
        // bob, a monitor of project hello: view in hello, nothing else.
        Row(user: bob, verb: "list", resource: "pods", namespace: "hello", allowed: true),
        Row(user: bob, verb: "get", resource: "pods", subresource: "log", namespace: "hello", allowed: true),
        Row(user: bob, verb: "watch", group: "apps", resource: "deployments", namespace: "hello", allowed: true),
        Row(user: bob, verb: "get", resource: "secrets", namespace: "hello", allowed: false),
        Row(user: bob, verb: "create", resource: "pods", subresource: "exec", namespace: "hello", allowed: false),
        Row(user: bob, verb: "create", resource: "configmaps", namespace: "hello", allowed: false),
        Row(user: bob, verb: "list", resource: "pods", namespace: "default", allowed: false),
        Row(user: bob, verb: "list", resource: "pods", allowed: false),
        Row(user: bob, verb: "list", resource: "secrets", allowed: false),
        // dave, an admin of project hello: admin in hello.
        Row(user: dave, verb: "create", resource: "pods", subresource: "exec", namespace: "hello", allowed: true),
        Row(user: dave, verb: "get", resource: "secrets", namespace: "hello", allowed: true),
        Row(user: dave, verb: "get", resource: "secrets", namespace: "default", allowed: false),
        // carol, in no group: only who she is and what she may do.
        Row(user: carol, verb: "create", group: "authentication.k8s.io", resource: "selfsubjectreviews", allowed: true),
        Row(user: carol, verb: "create", group: "authorization.k8s.io", resource: "selfsubjectaccessreviews", allowed: true),
        Row(user: carol, verb: "list", resource: "pods", namespace: "hello", allowed: false),
        Row(user: carol, verb: "get", resource: "namespaces", allowed: false),
    ]

    @Test("the table of who may do what", arguments: table)
    func row(_ row: Row) {
        let decision = Self.policy.authorize(.resource(row.user, row.verb, group: row.group, row.resource,
                                                       subresource: row.subresource, namespace: row.namespace))
        #expect(decision.allowed == row.allowed, "\(decision.reason)")
    }
}
