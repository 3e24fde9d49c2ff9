import KubeModels
import Testing
import VerrazzanoRBAC

@Suite("Install bindings")
struct InstallBindingsTests {
    static let managed = ["app.kubernetes.io/managed-by": "vzauth-rbac"]

    // The seed's "Verrazzano user roles" and "Kubernetes user roles" tables, cluster-scoped rows: each Verrazzano
    // role and its Kubernetes role are bound cluster-wide to the same subjects.
    @Test("four ClusterRoleBindings: verrazzano-admin, -admin-k8s → admin, verrazzano-monitor, -monitor-k8s → view")
    func names() {
        let bindings = DesiredState.installBindings(for: nil)
        #expect(bindings.map(\.name) == ["verrazzano-admin", "verrazzano-admin-k8s", "verrazzano-monitor", "verrazzano-monitor-k8s"])
        #expect(bindings.map(\.roleRef) == [
            .clusterRole("verrazzano-admin"), .clusterRole("admin"), .clusterRole("verrazzano-monitor"), .clusterRole("view"),
        ])
        #expect(bindings.allSatisfy { $0.roleRef.apiGroup == "rbac.authorization.k8s.io" && $0.roleRef.kind == "ClusterRole" })
        #expect(bindings.allSatisfy { $0.metadata.labels == Self.managed && $0.metadata.namespace == nil })
    }

    // The seed's "Default system role bindings" table.
    @Test("defaults: Group verrazzano-admins, Group verrazzano-monitors", arguments: [
        ("no Verrazzano resource", nil),
        ("no security", Verrazzano(metadata: KubeObjectMeta(name: "vz"))),
        ("empty lists", Fixtures.verrazzano(admins: [], monitors: [])),
    ] as [(String, Verrazzano?)])
    func defaults(_ label: String, _ verrazzano: Verrazzano?) {
        let bindings = DesiredState.installBindings(for: verrazzano)
        let admins = [Subject(kind: "Group", name: "verrazzano-admins", apiGroup: "rbac.authorization.k8s.io")]
        let monitors = [Subject(kind: "Group", name: "verrazzano-monitors", apiGroup: "rbac.authorization.k8s.io")]
        #expect(bindings.map(\.subjects) == [admins, admins, monitors, monitors])
    }

    @Test("the seed's override: admin-group and view-group")
    func seedOverride() {
        let bindings = DesiredState.installBindings(for: Fixtures.verrazzano(
            admins: [Subject(kind: "Group", name: "admin-group")], monitors: [Subject(kind: "Group", name: "view-group")]))
        #expect(bindings.map(\.subjects) == [[.group("admin-group")], [.group("admin-group")], [.group("view-group")], [.group("view-group")]])
    }

    @Test("several subjects of every kind, in order: users by id, groups, service accounts")
    func multiple() {
        let admins = [
            Subject(kind: "User", name: "5b1b8b5c-2d1e-4c63-9d59-0c4c1d7c3a11"),
            Subject(kind: "Group", name: "ops", apiGroup: "rbac.authorization.k8s.io"),
            Subject(kind: "ServiceAccount", name: "deployer", namespace: "ci", apiGroup: ""),
        ]
        let bindings = DesiredState.installBindings(for: Fixtures.verrazzano(admins: admins))
        let expected: [Subject] = [.user("5b1b8b5c-2d1e-4c63-9d59-0c4c1d7c3a11"), .group("ops"), .serviceAccount("deployer", namespace: "ci")]
        #expect(bindings[0].subjects == expected)
        #expect(bindings[1].subjects == expected)
        #expect(expected[2].apiGroup == nil)
    }

    @Test("overriding one role leaves the other at its default", arguments: [true, false])
    func oneRole(_ overrideAdmins: Bool) {
        let custom = [Subject.user("u-1")]
        let verrazzano = overrideAdmins ? Fixtures.verrazzano(admins: custom) : Fixtures.verrazzano(monitors: custom)
        let bindings = DesiredState.installBindings(for: verrazzano)
        #expect(bindings[0].subjects == (overrideAdmins ? custom : [.group("verrazzano-admins")]))
        #expect(bindings[2].subjects == (overrideAdmins ? [.group("verrazzano-monitors")] : custom))
    }

    @Test("the whole input set: install bindings from the one Verrazzano resource, defaults without one")
    func fromInputs() throws {
        let none = try DesiredState(inputs: [])
        #expect(none.clusterRoleBindings == DesiredState.installBindings(for: nil))
        #expect(none.clusterRoles == RoleCatalogue.all.sorted { $0.name < $1.name })
        #expect(none.namespaces.isEmpty && none.roleBindings.isEmpty)

        let verrazzano = Fixtures.verrazzano(admins: [.group("admin-group")])
        let state = try DesiredState(inputs: [.verrazzano(verrazzano, source: "vz.yaml")])
        #expect(state.clusterRoleBinding("verrazzano-admin")?.subjects == [.group("admin-group")])
        #expect(state.clusterRoleBinding("verrazzano-monitor")?.subjects == [.group("verrazzano-monitors")])

        let bare = try DesiredState(inputs: [], options: .init(includeRoleCatalogue: false, includeInstallBindings: false))
        #expect(bare.objects.isEmpty)
    }
}
