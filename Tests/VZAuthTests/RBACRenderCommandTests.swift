import Foundation
import Testing
import VerrazzanoRBAC

/// `vzauth rbac render` run as the real binary.
@Suite("vzauth rbac render")
struct RBACRenderCommandTests {
    private func write(_ text: String, name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-rbac-\(UUID().uuidString)-\(name)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private static let verrazzano = """
        apiVersion: install.verrazzano.io/v1beta1
        kind: Verrazzano
        metadata:
          name: my-verrazzano
        spec:
          security:
            adminSubjects:
            - name: platform-admins
              kind: Group
        """

    private static let project = """
        apiVersion: clusters.verrazzano.io/v1beta1
        kind: VerrazzanoProject
        metadata:
          name: my-project
          namespace: verrazzano-mc
        spec:
          placement:
            clusters:
            - name: local
            - name: managed1
          template:
            namespaces:
            - metadata:
                name: sales
          security:
            projectAdminSubjects:
            - name: my-project-admin-group
              kind: Group
        """

    @Test("prints every object, ready for kubectl apply; the output parses back into the typed models")
    func rendersObjects() async throws {
        let result = try await run(BinaryLifecycleTests.binary, ["rbac", "render", "-f", try write(Self.verrazzano, name: "vz.yaml"),
                                                                 "-f", try write(Self.project, name: "project.yaml")])
        #expect(result.status == 0, "\(result.stderr)")
        let parsed = try RBACYAML.parse(result.stdout, source: "stdout")
        let kinds = parsed.objects.map { object -> String in
            switch object {
            case .clusterRole: return "ClusterRole"
            case .clusterRoleBinding: return "ClusterRoleBinding"
            case .namespace: return "Namespace"
            case .roleBinding: return "RoleBinding"
            }
        }
        #expect(kinds.filter { $0 == "ClusterRole" }.count == 9)
        #expect(kinds.filter { $0 == "ClusterRoleBinding" }.count == 4)
        #expect(kinds.filter { $0 == "Namespace" }.count == 1)
        #expect(kinds.filter { $0 == "RoleBinding" }.count == 5, "four project bindings and verrazzano-cluster-managed1")
        #expect(result.stdout.contains("name: platform-admins"))
        #expect(result.stdout.contains("name: verrazzano-monitors"), "the default monitor group stays")
        #expect(result.stdout.contains("name: verrazzano-project-my-project-monitors"))
        #expect(result.stdout.contains("name: verrazzano-cluster-managed1"))
    }

    @Test("deploy/examples/verrazzano-resources: the subjects they name get the bindings their comments promise")
    func deployExamples() async throws {
        let examples = DeployManifestTests.deployDirectory.appendingPathComponent("examples/verrazzano-resources")
        let result = try await run(BinaryLifecycleTests.binary, [
            "rbac", "render", "-f", examples.appendingPathComponent("verrazzano.yaml").path,
            "-f", examples.appendingPathComponent("verrazzanoproject.yaml").path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try RBACYAML.parse(result.stdout, source: "stdout").objects
        func clusterBinding(_ name: String) -> [String] {
            objects.compactMap { if case .clusterRoleBinding(let binding) = $0, binding.metadata.name == name { binding } else { nil } }
                .flatMap(\.subjects).map(\.name)
        }
        func binding(_ name: String, in namespace: String) -> [String] {
            objects.compactMap {
                if case .roleBinding(let binding) = $0, binding.metadata.name == name, binding.metadata.namespace == namespace {
                    binding
                } else { nil }
            }.flatMap(\.subjects).map(\.name)
        }
        #expect(clusterBinding("verrazzano-admin") == ["platform-admins", "4f1c6d2e-0000-4000-8000-000000000001"])
        #expect(clusterBinding("verrazzano-monitor") == ["sre-oncall"])
        for namespace in ["sales-frontend", "sales-backend"] {
            #expect(binding("verrazzano-project-admin", in: namespace) == ["sales-admins"], "\(namespace)")
            #expect(binding("verrazzano-project-monitor", in: namespace) == ["sales-sre"], "\(namespace)")
        }
        // v1alpha1: subjects under spec.template.security.
        #expect(binding("verrazzano-project-admin", in: "payments") == ["payments-admins"])
        #expect(binding("verrazzano-project-monitor", in: "payments") == ["4f1c6d2e-0000-4000-8000-000000000002"])
        #expect(binding("verrazzano-cluster-managed1", in: "payments").count == 1, "placed on managed1")
    }

    @Test("invalid input: located errors on stderr, nothing on stdout, exit 1")
    func refusesInvalidInput() async throws {
        let bad = Self.project.replacingOccurrences(of: "kind: Group", with: "kind: Robot")
        let file = try write(bad, name: "bad.yaml")
        let result = try await run(BinaryLifecycleTests.binary, ["rbac", "render", "-f", file])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains(file))
        #expect(result.stderr.contains("my-project"))
        #expect(result.stderr.contains("spec.security.projectAdminSubjects[0].kind"), "\(result.stderr)")
    }

    @Test("a namespace claimed by two projects is refused for both")
    func namespaceClaimedTwice() async throws {
        let other = Self.project.replacingOccurrences(of: "name: my-project\n", with: "name: other-project\n")
        let result = try await run(BinaryLifecycleTests.binary, ["rbac", "render", "-f", try write(Self.project, name: "a.yaml"),
                                                                 "-f", try write(other, name: "b.yaml")])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("my-project") && result.stderr.contains("other-project"), "\(result.stderr)")
    }
}
