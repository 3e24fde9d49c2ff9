import KubeModels
import Testing
import VerrazzanoRBAC

@Suite("Project objects")
struct ProjectObjectsTests {
    static let owner = [
        "app.kubernetes.io/managed-by": "vzauth-rbac",
        "verrazzano.io/project": "sales",
        "verrazzano.io/project-namespace": "verrazzano-mc",
    ]

    // The seed's user-role and Kubernetes-role tables, namespace-scoped rows, with the default project bindings.
    @Test("in each namespace: verrazzano-project-admin, admin, verrazzano-project-monitor, view; defaults per project", arguments: Fixtures.Shape.allCases)
    func defaults(_ shape: Fixtures.Shape) throws {
        let objects = DesiredState.projectObjects(for: Fixtures.project(shape: shape, namespaces: ["sales-app", "sales-db"]))
        #expect(objects.namespaces.map(\.name) == ["sales-app", "sales-db"])
        let admins: [Subject] = [.group("verrazzano-project-sales-admins")]
        let monitors: [Subject] = [.group("verrazzano-project-sales-monitors")]
        for namespace in ["sales-app", "sales-db"] {
            let expected: [(String, String, [Subject])] = [
                ("admin", "admin", admins),
                ("verrazzano-project-admin", "verrazzano-project-admin", admins),
                ("verrazzano-project-monitor", "verrazzano-project-monitor", monitors),
                ("view", "view", monitors),
            ]
            let bindings = objects.roleBindings.filter { $0.namespace == namespace }
            #expect(bindings.map(\.name) == expected.map(\.0))
            #expect(bindings.map(\.roleRef) == expected.map { RoleRef.clusterRole($0.1) })
            #expect(bindings.map(\.subjects) == expected.map(\.2))
            #expect(bindings.allSatisfy { $0.metadata.labels == Self.owner })
        }
        #expect(objects.roleBindings.count == 8)
    }

    @Test("overrides: several subjects per role, users by id, service accounts; one role overridden only", arguments: Fixtures.Shape.allCases)
    func overrides(_ shape: Fixtures.Shape) throws {
        let admins = [
            Subject(kind: "User", name: "0f7e1c2a-user-id"),
            Subject(kind: "ServiceAccount", name: "pipeline", namespace: "ci"),
            Subject(kind: "Group", name: "sales-leads"),
        ]
        let objects = DesiredState.projectObjects(for: Fixtures.project(shape: shape, admins: admins))
        let normalized: [Subject] = [.user("0f7e1c2a-user-id"), .serviceAccount("pipeline", namespace: "ci"), .group("sales-leads")]
        #expect(objects.roleBinding("sales-app", "verrazzano-project-admin")?.subjects == normalized)
        #expect(objects.roleBinding("sales-app", "admin")?.subjects == normalized)
        #expect(objects.roleBinding("sales-app", "verrazzano-project-monitor")?.subjects == [.group("verrazzano-project-sales-monitors")])
        #expect(objects.roleBinding("sales-app", "view")?.subjects == [.group("verrazzano-project-sales-monitors")])

        let monitorsOnly = DesiredState.projectObjects(for: Fixtures.project(shape: shape, monitors: [.group("auditors")]))
        #expect(monitorsOnly.roleBinding("sales-app", "admin")?.subjects == [.group("verrazzano-project-sales-admins")])
        #expect(monitorsOnly.roleBinding("sales-app", "view")?.subjects == [.group("auditors")])
    }

    @Test("removing the overrides returns to the defaults")
    func backToDefaults() {
        let overridden = DesiredState.projectObjects(for: Fixtures.project(admins: [.group("x")], monitors: [.group("y")]))
        let cleared = DesiredState.projectObjects(for: Fixtures.project(admins: [], monitors: []))
        #expect(overridden != cleared)
        #expect(cleared == DesiredState.projectObjects(for: Fixtures.project()))
    }

    @Test("both project shapes give identical objects")
    func shapes() throws {
        let subjects: [Subject] = [.user("id-1"), .serviceAccount("bot", namespace: "ops")]
        let alpha = Fixtures.project(shape: .v1alpha1, namespaces: ["a", "b"], clusters: ["local", "m1"], admins: subjects, monitors: [.group("g")])
        let beta = Fixtures.project(shape: .v1beta1, namespaces: ["a", "b"], clusters: ["local", "m1"], admins: subjects, monitors: [.group("g")])
        #expect(alpha != beta)
        #expect(alpha.security == beta.security)
        #expect(DesiredState.projectObjects(for: alpha) == DesiredState.projectObjects(for: beta))
        let fromAlpha = try DesiredState(inputs: [.project(alpha, source: "a.yaml")])
        let fromBeta = try DesiredState(inputs: [.project(beta, source: "b.yaml")])
        #expect(fromAlpha == fromBeta)
    }

    @Test("each placement cluster but local gets verrazzano-cluster-<cluster> → verrazzano-managed-cluster in every namespace")
    func managedClusters() throws {
        let objects = DesiredState.projectObjects(for: Fixtures.project(namespaces: ["n1", "n2"], clusters: ["local", "east", "west"]))
        for namespace in ["n1", "n2"] {
            for cluster in ["east", "west"] {
                let binding = try #require(objects.roleBinding(namespace, "verrazzano-cluster-\(cluster)"))
                #expect(binding.roleRef == .clusterRole("verrazzano-managed-cluster"))
                #expect(binding.subjects == [Subject(kind: "ServiceAccount", name: "verrazzano-cluster-\(cluster)", namespace: "verrazzano-mc")])
                #expect(binding.metadata.labels == Self.owner)
            }
            #expect(objects.roleBinding(namespace, "verrazzano-cluster-local") == nil)
        }
        #expect(objects.roleBindings.count == 2 * 6)
        let localOnly = DesiredState.projectObjects(for: Fixtures.project(clusters: ["local"]))
        #expect(localOnly.roleBindings.allSatisfy { !$0.name.hasPrefix("verrazzano-cluster-") })
    }

    @Test("namespaces: the template's labels, verrazzano-managed and ownership labels; annotations and spec kept")
    func namespaces() throws {
        var project = Fixtures.project()
        project.spec.template.namespaces = [.init(
            metadata: KubeObjectMeta(name: "sales-app", labels: ["team": "blue", "istio-injection": "enabled"], annotations: ["owner": "alice"]),
            spec: ["finalizers": ["kubernetes"]])]
        let namespace = try #require(DesiredState.projectObjects(for: project).namespaces.first)
        #expect(namespace.apiVersion == "v1")
        #expect(namespace.kind == "Namespace")
        #expect(namespace.metadata.name == "sales-app")
        #expect(namespace.metadata.namespace == nil)
        #expect(namespace.metadata.labels == Self.owner.merging(["team": "blue", "istio-injection": "enabled", "verrazzano-managed": "true"]) { a, _ in a })
        #expect(namespace.metadata.annotations == ["owner": "alice"])
        #expect(namespace.spec == ["finalizers": ["kubernetes"]])
    }

    @Test("ownership selectors name what a project owns")
    func selectors() {
        #expect(OwnershipLabels.managedSelector == "app.kubernetes.io/managed-by=vzauth-rbac")
        #expect(OwnershipLabels.projectSelector(project: "sales")
            == "app.kubernetes.io/managed-by=vzauth-rbac,verrazzano.io/project=sales,verrazzano.io/project-namespace=verrazzano-mc")
    }

    @Test("the input set: every project's objects, sorted; objects in apply order")
    func inputSet() throws {
        let state = try DesiredState(inputs: [
            .project(Fixtures.project("zeta", namespaces: ["z1"], clusters: ["local", "m1"]), source: "z.yaml"),
            .project(Fixtures.project("alpha", namespaces: ["a2", "a1"]), source: "a.yaml"),
        ])
        #expect(state.namespaces.map(\.name) == ["a1", "a2", "z1"])
        #expect(state.roleBindings.map { "\($0.namespace)/\($0.name)" } == [
            "a1/admin", "a1/verrazzano-project-admin", "a1/verrazzano-project-monitor", "a1/view",
            "a2/admin", "a2/verrazzano-project-admin", "a2/verrazzano-project-monitor", "a2/view",
            "z1/admin", "z1/verrazzano-cluster-m1", "z1/verrazzano-project-admin", "z1/verrazzano-project-monitor", "z1/view",
        ])
        #expect(state.objects.map(\.kind) == Array(repeating: "ClusterRole", count: 9) + Array(repeating: "ClusterRoleBinding", count: 4)
            + Array(repeating: "Namespace", count: 3) + Array(repeating: "RoleBinding", count: 13))
        #expect(state.roleBinding("z1", "admin")?.metadata.labels?["verrazzano.io/project"] == "zeta")
    }
}
