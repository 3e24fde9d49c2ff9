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
