import KubeModels
import Testing
import VerrazzanoRBAC

@Suite("Validation")
struct ValidationTests {
    /// A change to a valid project and the problems it must cause: (path, reason).
    struct ProjectCase: Sendable, CustomStringConvertible {
        var description: String
        var change: @Sendable (inout VerrazzanoProject, Fixtures.Shape) -> Void
        /// `{s}` stands for the shape's security path.
        var expected: [(String, RBACInputError.Reason)]
    }

    static func setAdmins(_ subjects: [Subject]) -> @Sendable (inout VerrazzanoProject, Fixtures.Shape) -> Void {
        { project, shape in
            let security = VerrazzanoProject.Security(projectAdminSubjects: subjects)
            if shape == .v1alpha1 { project.spec.template.security = security } else { project.spec.security = security }
        }
    }

    static func setMonitors(_ subjects: [Subject]) -> @Sendable (inout VerrazzanoProject, Fixtures.Shape) -> Void {
        { project, shape in
            let security = VerrazzanoProject.Security(projectMonitorSubjects: subjects)
            if shape == .v1alpha1 { project.spec.template.security = security } else { project.spec.security = security }
        }
    }

    static func setNamespaces(_ names: [String?], labels: [String: String]? = nil) -> @Sendable (inout VerrazzanoProject, Fixtures.Shape) -> Void {
        { project, _ in
            project.spec.template.namespaces = names.map { .init(metadata: KubeObjectMeta(name: $0, labels: labels)) }
        }
    }

    static func setClusters(_ names: [String]) -> @Sendable (inout VerrazzanoProject, Fixtures.Shape) -> Void {
        { project, _ in project.spec.placement.clusters = names.map { .init(name: $0) } }
    }

    static let projectCases: [ProjectCase] = [
        ProjectCase(description: "valid subjects of every kind", change: setAdmins([
            Subject(kind: "User", name: "id-1"), Subject(kind: "User", name: "id-2", apiGroup: "rbac.authorization.k8s.io"),
            Subject(kind: "Group", name: "g", apiGroup: ""), Subject(kind: "ServiceAccount", name: "sa", namespace: "ns", apiGroup: ""),
        ]), expected: []),
        ProjectCase(description: "subject without name", change: setAdmins([Subject(kind: "Group", name: "")]),
                    expected: [("{s}.projectAdminSubjects[0].name", .required)]),
        ProjectCase(description: "subject without kind", change: setAdmins([.group("ok"), Subject(kind: "", name: "x")]),
                    expected: [("{s}.projectAdminSubjects[1].kind", .required)]),
        ProjectCase(description: "subject of kind Role", change: setAdmins([Subject(kind: "Role", name: "x")]),
                    expected: [("{s}.projectAdminSubjects[0].kind", .notSupported)]),
        ProjectCase(description: "kind is case-sensitive", change: setAdmins([Subject(kind: "group", name: "x")]),
                    expected: [("{s}.projectAdminSubjects[0].kind", .notSupported)]),
        ProjectCase(description: "User with another apiGroup", change: setAdmins([Subject(kind: "User", name: "u", apiGroup: "example.com")]),
                    expected: [("{s}.projectAdminSubjects[0].apiGroup", .notSupported)]),
        ProjectCase(description: "Group with another apiGroup", change: setMonitors([Subject(kind: "Group", name: "g", apiGroup: "v1")]),
                    expected: [("{s}.projectMonitorSubjects[0].apiGroup", .notSupported)]),
        ProjectCase(description: "ServiceAccount with an apiGroup",
                    change: setAdmins([Subject(kind: "ServiceAccount", name: "sa", namespace: "ns", apiGroup: "rbac.authorization.k8s.io")]),
                    expected: [("{s}.projectAdminSubjects[0].apiGroup", .notSupported)]),
        ProjectCase(description: "ServiceAccount without namespace",
                    change: setMonitors([.group("g"), Subject(kind: "ServiceAccount", name: "sa")]),
                    expected: [("{s}.projectMonitorSubjects[1].namespace", .required)]),
        ProjectCase(description: "ServiceAccount with empty namespace and no name",
                    change: setAdmins([Subject(kind: "ServiceAccount", name: "", namespace: "")]),
                    expected: [("{s}.projectAdminSubjects[0].name", .required), ("{s}.projectAdminSubjects[0].namespace", .required)]),
        ProjectCase(description: "no project name", change: { project, _ in project.metadata.name = nil },
                    expected: [("metadata.name", .required)]),
        ProjectCase(description: "project name not lowercase", change: { project, _ in project.metadata.name = "Sales" },
                    expected: [("metadata.name", .invalid)]),
        ProjectCase(description: "project name of 64 characters", change: { project, _ in project.metadata.name = String(repeating: "p", count: 64) },
                    expected: [("metadata.name", .invalid)]),
        ProjectCase(description: "project in another namespace", change: { project, _ in project.metadata.namespace = "default" },
                    expected: [("metadata.namespace", .notSupported)]),
        ProjectCase(description: "project without namespace", change: { project, _ in project.metadata.namespace = nil },
                    expected: [("metadata.namespace", .required)]),
        ProjectCase(description: "no template namespace", change: setNamespaces([]),
                    expected: [("spec.template.namespaces", .required)]),
        ProjectCase(description: "no placement cluster", change: setClusters([]),
                    expected: [("spec.placement.clusters", .required)]),
        ProjectCase(description: "namespace without name", change: setNamespaces(["ok", nil]),
                    expected: [("spec.template.namespaces[1].metadata.name", .required)]),
        ProjectCase(description: "namespace names must be DNS-1123 labels", change: setNamespaces(["Upper", "dotted.name", "-dash", "dash-", "under_score", String(repeating: "n", count: 64), String(repeating: "n", count: 63)]),
                    expected: (0..<6).map { ("spec.template.namespaces[\($0)].metadata.name", .invalid) }),
        ProjectCase(description: "namespace listed twice", change: setNamespaces(["a", "b", "a"]),
                    expected: [("spec.template.namespaces[2].metadata.name", .duplicate)]),
        ProjectCase(description: "cluster without name", change: setClusters(["local", ""]),
                    expected: [("spec.placement.clusters[1].name", .required)]),
        ProjectCase(description: "cluster name invalid", change: setClusters(["East_1"]),
                    expected: [("spec.placement.clusters[0].name", .invalid)]),
        ProjectCase(description: "cluster listed twice", change: setClusters(["m1", "local", "m1"]),
                    expected: [("spec.placement.clusters[2].name", .duplicate)]),
        ProjectCase(description: "template sets verrazzano-managed to false", change: setNamespaces(["a"], labels: ["verrazzano-managed": "false"]),
                    expected: [("spec.template.namespaces[0].metadata.labels[verrazzano-managed]", .invalid)]),
        ProjectCase(description: "template claims another project's label", change: setNamespaces(["a"], labels: ["verrazzano.io/project": "other"]),
                    expected: [("spec.template.namespaces[0].metadata.labels[verrazzano.io/project]", .invalid)]),
        ProjectCase(description: "template repeats our labels", change: setNamespaces(["a"], labels: ["verrazzano-managed": "true", "verrazzano.io/project": "sales"]),
                    expected: []),
    ]

    @Test("project rules, with exact field paths, in both shapes", arguments: projectCases, Fixtures.Shape.allCases)
    func projectRule(_ testCase: ProjectCase, _ shape: Fixtures.Shape) {
        var project = Fixtures.project(shape: shape)
        testCase.change(&project, shape)
        let evaluation = DesiredState.evaluate([.project(project, source: "p.yaml", documentIndex: 3)])
        let expected = testCase.expected.map { ($0.0.replacing("{s}", with: shape.securityPath), $0.1) }
        #expect(evaluation.problems.map(\.path) == expected.map(\.0))
        #expect(evaluation.problems.map(\.reason) == expected.map(\.1))
        #expect(evaluation.problems.allSatisfy { $0.source == "p.yaml" && $0.documentIndex == 3 && $0.kind == "VerrazzanoProject" })
        if expected.isEmpty {
            #expect(evaluation.state.namespaces.count == project.spec.template.namespaces.count)
        } else {
            #expect(evaluation.state.namespaces.isEmpty && evaluation.state.roleBindings.isEmpty, "an invalid project produces nothing")
        }
    }

    @Test("Verrazzano subjects: spec.security.adminSubjects[1].namespace and friends")
    func verrazzanoSubjects() {
        let verrazzano = Fixtures.verrazzano(
            admins: [.group("ok"), Subject(kind: "ServiceAccount", name: "sa")],
            monitors: [Subject(kind: "Team", name: "t"), Subject(kind: "User", name: "", apiGroup: "x")])
        let evaluation = DesiredState.evaluate([.verrazzano(verrazzano, source: "vz.yaml")])
        #expect(evaluation.problems.map(\.path) == [
            "spec.security.adminSubjects[1].namespace",
            "spec.security.monitorSubjects[0].kind",
            "spec.security.monitorSubjects[1].name",
            "spec.security.monitorSubjects[1].apiGroup",
        ])
        #expect(evaluation.problems.map(\.reason) == [.required, .notSupported, .required, .notSupported])
        #expect(evaluation.state.clusterRoleBindings.isEmpty, "an invalid Verrazzano resource binds nobody, not the defaults")
        #expect(evaluation.state.clusterRoles.count == 9)
    }

    @Test("a problem names its source, document, object, path and message")
    func problemDescription() throws {
        let project = Fixtures.project(shape: .v1beta1, admins: [.group("g"), Subject(kind: "ServiceAccount", name: "sa")])
        let error = try #require(throws: RBACInputError.self) {
            try DesiredState(inputs: [.project(project, source: "projects.yaml", documentIndex: 1)])
        }
        #expect(error.problems.count == 1)
        #expect(error.description == "projects.yaml[1]: VerrazzanoProject verrazzano-mc/sales: spec.security.projectAdminSubjects[1].namespace: Required value: a ServiceAccount needs a namespace")
    }

    @Test("different subjects in both shapes' places is a conflict; the same subjects are accepted")
    func bothShapes() {
        var project = Fixtures.project(shape: .v1beta1, admins: [.group("a")])
        project.spec.template.security = .init(projectAdminSubjects: [.group("b")])
        let problems = DesiredState.evaluate([.project(project, source: "p")]).problems
        #expect(problems.map(\.path) == ["spec.template.security"])
        #expect(problems.map(\.reason) == [.conflict])
        project.spec.template.security = project.spec.security
        #expect(DesiredState.evaluate([.project(project, source: "p")]).problems.isEmpty)
    }

    @Test("a namespace claimed by two projects is an error for both; other projects still produce objects")
    func namespaceClaimedTwice() throws {
        let inputs: [InputDocument] = [
            .project(Fixtures.project("a", namespaces: ["shared", "a-only"]), source: "a.yaml", documentIndex: 0),
            .project(Fixtures.project("ok", namespaces: ["ok-ns"]), source: "a.yaml", documentIndex: 1),
            .project(Fixtures.project("b", namespaces: ["b-only", "shared"]), source: "b.yaml"),
        ]
        let evaluation = DesiredState.evaluate(inputs)
        #expect(evaluation.problems.map { "\($0.name) \($0.path) \($0.reason)" } == [
            "a spec.template.namespaces[0].metadata.name Conflict",
            "b spec.template.namespaces[1].metadata.name Conflict",
        ])
        #expect(evaluation.problems[0].message.contains("VerrazzanoProject verrazzano-mc/b (b.yaml)"))
        #expect(evaluation.problems[1].message.contains("VerrazzanoProject verrazzano-mc/a (a.yaml[0])"))
        #expect(evaluation.state.namespaces.map(\.name) == ["ok-ns"])
        #expect(Set(evaluation.state.roleBindings.map(\.namespace)) == ["ok-ns"])

        let error = try #require(throws: RBACInputError.self) { try DesiredState(inputs: inputs) }
        #expect(error.problems == evaluation.problems)
    }

    @Test("the same project twice, and two Verrazzano resources, are errors for each copy")
    func duplicates() {
        let evaluation = DesiredState.evaluate([
            .verrazzano(Fixtures.verrazzano(), source: "vz1.yaml"),
            .project(Fixtures.project("p"), source: "one.yaml"),
            .verrazzano(Fixtures.verrazzano(), source: "vz2.yaml"),
            .project(Fixtures.project("p", shape: .v1beta1), source: "two.yaml"),
        ])
        #expect(evaluation.problems.map { "\($0.source) \($0.path) \($0.reason)" } == [
            "vz1.yaml metadata.name Duplicate value",
            "one.yaml metadata.name Duplicate value",
            "vz2.yaml metadata.name Duplicate value",
            "two.yaml metadata.name Duplicate value",
        ])
        #expect(evaluation.state.clusterRoleBindings.isEmpty)
        #expect(evaluation.state.namespaces.isEmpty)
    }

    @Test("every problem of every input is reported at once")
    func allAtOnce() throws {
        var broken = Fixtures.project("broken", namespaces: [], clusters: [], admins: [Subject(kind: "User", name: "")])
        broken.metadata.namespace = "default"
        let error = try #require(throws: RBACInputError.self) {
            try DesiredState(inputs: [
                .project(broken, source: "x.yaml"),
                .verrazzano(Fixtures.verrazzano(monitors: [Subject(kind: "Robot", name: "r")]), source: "vz.yaml"),
            ])
        }
        #expect(error.problems.map(\.path) == [
            "metadata.namespace", "spec.template.namespaces", "spec.placement.clusters",
            "spec.template.security.projectAdminSubjects[0].name", "spec.security.monitorSubjects[0].kind",
        ])
    }
}
