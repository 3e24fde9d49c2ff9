import Foundation
import KubeModels
import Testing
import VerrazzanoRBAC

@Suite("YAML")
struct YAMLTests {
    @Test("the seed's examples: Verrazzano and a v1beta1 project, with everything the models keep")
    func seedExamples() throws {
        let parsed = try RBACYAML.parse(Fixtures.seedVerrazzanoYAML + "\n---\n" + Fixtures.seedProjectYAML, source: "seed.yaml")
        #expect(parsed.notes.isEmpty && parsed.objects.isEmpty)
        #expect(parsed.inputs.map(\.documentIndex) == [0, 1])
        guard case .verrazzano(let verrazzano) = parsed.inputs[0].resource,
              case .project(let project) = parsed.inputs[1].resource else {
            Issue.record("wrong kinds: \(parsed.inputs.map(\.kind))")
            return
        }
        #expect(verrazzano.spec.security?.adminSubjects == [Subject(kind: "Group", name: "admin-group")])
        #expect(verrazzano.spec.security?.monitorSubjects == [Subject(kind: "Group", name: "view-group")])
        #expect(project.spec.placement.clusters.map(\.name) == ["local", "managed1"])
        #expect(project.spec.template.namespaces.first?.metadata.labels == ["team": "blue"])
        #expect(project.spec.template.namespaces.first?.spec == ["finalizers": ["kubernetes"]])
        #expect(project.spec.template.networkPolicies == [["metadata": ["name": "allow-all"], "spec": ["podSelector": [:], "ingress": [[:]]]]])
        #expect(project.security?.projectAdminSubjects == [Subject(kind: "Group", name: "my-project-admin-group")])
        #expect(project.status?.state == "Succeeded")
        #expect(project.status?.conditions?.first?.status == "True")
        #expect(project.status?.clusters?.first?.name == "managed1")

        let state = try DesiredState(inputs: parsed.inputs)
        #expect(state.clusterRoleBinding("verrazzano-admin-k8s")?.subjects == [.group("admin-group")])
        #expect(state.roleBinding("my-app", "view")?.subjects == [.group("my-project-view-group")])
        #expect(state.roleBinding("my-app", "verrazzano-cluster-managed1") != nil)
    }

    @Test("both project shapes, read from YAML, give identical desired state")
    func shapesFromYAML() throws {
        let beta = try RBACYAML.parse(Fixtures.seedProjectYAML, source: "beta.yaml")
        let alpha = try RBACYAML.parse(Fixtures.seedProjectV1alpha1YAML, source: "alpha.yaml")
        #expect(try DesiredState(inputs: alpha.inputs) == DesiredState(inputs: beta.inputs))
        #expect(try RBACYAML.render(DesiredState(inputs: alpha.inputs)) == RBACYAML.render(DesiredState(inputs: beta.inputs)))
    }

    @Test("other kinds are skipped with a note; empty documents silently; indices count every document")
    func notes() throws {
        let yaml = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
            ---
            ---
            \(Fixtures.seedVerrazzanoYAML)
            ---
            apiVersion: example.com/v1
            kind: Verrazzano
            metadata:
              name: lookalike
            """
        let parsed = try RBACYAML.parse(yaml, source: "mixed.yaml")
        #expect(parsed.inputs.map(\.documentIndex) == [2])
        #expect(parsed.notes == [
            "mixed.yaml[0]: skipped ConfigMap settings (v1): not a Verrazzano, VerrazzanoProject or RBAC object",
            "mixed.yaml[3]: skipped Verrazzano lookalike (example.com/v1): not a Verrazzano, VerrazzanoProject or RBAC object",
        ])
    }

    struct BadInput: Sendable, CustomStringConvertible {
        var description: String
        var yaml: String
        var index: Int
        var path: String
        var message: String
    }

    static let badInputs = [
        BadInput(description: "YAML syntax error in the second document", yaml: "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nkind: [unclosed\n", index: 1, path: "",
                 message: "YAML: line 6, column 1: while parsing a flow sequence (line 5, column 7) did not find expected ',' or ']'"),
        BadInput(description: "a list, not an object", yaml: "- a\n- b\n", index: 0, path: "", message: "a document must be a mapping"),
        BadInput(description: "no kind", yaml: "apiVersion: v1\nmetadata: {name: x}\n", index: 0, path: "kind", message: "kind is required"),
        BadInput(description: "unsupported version", yaml: "apiVersion: clusters.verrazzano.io/v2\nkind: VerrazzanoProject\n", index: 0,
                 path: "apiVersion", message: "\"clusters.verrazzano.io/v2\" is not supported for VerrazzanoProject: use clusters.verrazzano.io/v1alpha1 or clusters.verrazzano.io/v1beta1"),
        BadInput(description: "wrong type deep inside", yaml: """
            apiVersion: clusters.verrazzano.io/v1alpha1
            kind: VerrazzanoProject
            metadata: {name: p, namespace: verrazzano-mc}
            spec:
              placement:
                clusters:
                - name: local
                - name: [a, b]
            """, index: 0, path: "spec.placement.clusters[1].name", message: "expected a scalar (a string, number or boolean)"),
        BadInput(description: "subjects not a list", yaml: """
            apiVersion: install.verrazzano.io/v1beta1
            kind: Verrazzano
            spec:
              security:
                adminSubjects: {name: g, kind: Group}
            """, index: 0, path: "spec.security.adminSubjects", message: "expected a list"),
        BadInput(description: "duplicate key", yaml: "kind: Namespace\nkind: Namespace\n", index: 0, path: "", message: "YAML: line 1, column 1: duplicate keys kind"),
    ]

    @Test("unreadable documents are reported with their index and field", arguments: badInputs)
    func unreadable(_ input: BadInput) throws {
        let error = try #require(throws: RBACInputError.self) { try RBACYAML.parse(input.yaml, source: "in.yaml") }
        let problem = try #require(error.problems.first)
        #expect(error.problems.count == 1)
        #expect(problem.source == "in.yaml")
        #expect(problem.documentIndex == input.index)
        #expect(problem.path == input.path)
        #expect(problem.reason == .unreadable)
        #expect(problem.message.hasPrefix(input.message), "\(problem.message)")
    }

    @Test("every unreadable document is reported, not only the first")
    func severalUnreadable() throws {
        let yaml = "kind: Namespace\napiVersion: v2\n---\n\(Fixtures.seedVerrazzanoYAML)\n---\n- x\n"
        let error = try #require(throws: RBACInputError.self) { try RBACYAML.parse(yaml, source: "s") }
        #expect(error.problems.map(\.documentIndex) == [0, 2])
    }

    @Test("rendered YAML: apiVersion, kind, metadata first, then sorted keys; quoted strings; documents separated by ---")
    func exactRendering() throws {
        let objects = try DesiredState(
            inputs: [.project(Fixtures.project("p", namespaces: ["ns"], clusters: ["local"], admins: [.user("u-1")]), source: "p")],
            options: .init(includeRoleCatalogue: false, includeInstallBindings: false)
        ).objects
        let yaml = try RBACYAML.render(Array(objects.prefix(2)))
        #expect(yaml == """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: ns
              labels:
                app.kubernetes.io/managed-by: vzauth-rbac
                verrazzano-managed: 'true'
                verrazzano.io/project: p
                verrazzano.io/project-namespace: verrazzano-mc
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata:
              name: admin
              namespace: ns
              labels:
                app.kubernetes.io/managed-by: vzauth-rbac
                verrazzano.io/project: p
                verrazzano.io/project-namespace: verrazzano-mc
            roleRef:
              kind: ClusterRole
              name: admin
              apiGroup: rbac.authorization.k8s.io
            subjects:
            - kind: User
              name: u-1
              apiGroup: rbac.authorization.k8s.io

            """)
        let role = try RBACYAML.render([.clusterRole(RoleCatalogue.userRoles[0])])
        #expect(role == """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: verrazzano-admin
              labels:
                app.kubernetes.io/managed-by: vzauth-rbac
            aggregationRule:
              clusterRoleSelectors:
              - matchLabels:
                  verrazzano.io/aggregate-to-verrazzano-admin: 'true'

            """)
    }

    static func sampleInputs() throws -> [InputDocument] {
        var inputs = try RBACYAML.parse(Fixtures.seedVerrazzanoYAML + "\n---\n" + Fixtures.seedProjectYAML, source: "seed.yaml").inputs
        inputs.append(.project(Fixtures.project("alpha", namespaces: ["a1", "a0"], clusters: ["local", "m2", "m1"],
                                                admins: [.serviceAccount("bot", namespace: "ci"), .user("id")]), source: "x"))
        inputs.append(.project(Fixtures.project("beta", shape: .v1beta1, namespaces: ["b"], monitors: [.group("g2"), .group("g1")]), source: "y"))
        return inputs
    }

    @Test("round trip: render, parse back, equal to the desired objects")
    func roundTrip() throws {
        let state = try DesiredState(inputs: Self.sampleInputs())
        let yaml = try RBACYAML.render(state)
        let parsed = try RBACYAML.parse(yaml, source: "rendered.yaml")
        #expect(parsed.inputs.isEmpty && parsed.notes.isEmpty)
        #expect(parsed.objects == state.objects)
        #expect(parsed.objects.count == 9 + 4 + 4 + 4 * 4 + 2 * 2 + 1)
    }

    @Test("determinism: the same YAML whatever the input order and however often rendered")
    func determinism() throws {
        let inputs = try Self.sampleInputs()
        let expected = try RBACYAML.render(DesiredState(inputs: inputs))
        for _ in 0..<3 {
            #expect(try RBACYAML.render(DesiredState(inputs: inputs.shuffled())) == expected)
        }
        #expect(try RBACYAML.render(DesiredState(inputs: inputs.reversed())) == expected)
    }

    @Test("JSON encoding has the Kubernetes shape: no null fields, subjects and roleRef as the API server returns them")
    func jsonShape() throws {
        let binding = DesiredState.installBindings(for: Fixtures.verrazzano(admins: [Subject(kind: "ServiceAccount", name: "sa", namespace: "ci", apiGroup: "")]))[0]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(binding), as: UTF8.self)
        #expect(json == #"{"apiVersion":"rbac.authorization.k8s.io\/v1","kind":"ClusterRoleBinding","metadata":{"labels":{"app.kubernetes.io\/managed-by":"vzauth-rbac"},"name":"verrazzano-admin"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"verrazzano-admin"},"subjects":[{"kind":"ServiceAccount","name":"sa","namespace":"ci"}]}"#)
        let object = DesiredObject.clusterRoleBinding(binding)
        #expect(try JSONDecoder().decode(DesiredObject.self, from: JSONEncoder().encode(object)) == object)
        let project = Fixtures.project(shape: .v1beta1, admins: [.group("g")])
        #expect(try JSONDecoder().decode(VerrazzanoProject.self, from: JSONEncoder().encode(project)) == project)
    }
}

@Suite("YAML scalars")
struct YAMLScalarTests {
    @Test("unquoted booleans and numbers where Kubernetes wants strings are read as their text")
    func plainScalars() throws {
        let yaml = """
            apiVersion: clusters.verrazzano.io/v1alpha1
            kind: VerrazzanoProject
            metadata: {name: p, namespace: verrazzano-mc}
            spec:
              placement:
                clusters: [{name: local}]
              template:
                namespaces:
                - metadata:
                    name: n
                    labels: {verrazzano-managed: true, tier: 3}
            """
        let parsed = try RBACYAML.parse(yaml, source: "p.yaml")
        guard case .project(let project) = parsed.inputs.first?.resource else {
            Issue.record("no project")
            return
        }
        #expect(project.spec.template.namespaces[0].metadata.labels == ["verrazzano-managed": "true", "tier": "3"])
        #expect(try DesiredState(inputs: parsed.inputs).namespaces[0].metadata.labels?["verrazzano-managed"] == "true")
    }
}
