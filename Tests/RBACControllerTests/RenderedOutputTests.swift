import Foundation
import KubeClient
import RBACController
import Testing
import VZAuthTestSupport
import VerrazzanoRBAC

@Suite("Rendered output against the controller", .serialized)
struct RenderedOutputTests {
    static let inputYAML = """
        apiVersion: install.verrazzano.io/v1beta1
        kind: Verrazzano
        metadata:
          name: vz
          namespace: default
        spec:
          security:
            adminSubjects:
            - kind: Group
              name: platform-admins
        ---
        apiVersion: clusters.verrazzano.io/v1alpha1
        kind: VerrazzanoProject
        metadata:
          name: sales
          namespace: verrazzano-mc
        spec:
          placement:
            clusters:
            - name: local
            - name: managed1
          template:
            namespaces:
            - metadata:
                name: sales-app
                labels:
                  team: sales
            security:
              projectAdminSubjects:
              - kind: User
                name: alice
        ---
        apiVersion: clusters.verrazzano.io/v1beta1
        kind: VerrazzanoProject
        metadata:
          name: hr
          namespace: verrazzano-mc
        spec:
          placement:
            clusters:
            - name: local
          template:
            namespaces:
            - metadata:
                name: hr-a
            - metadata:
                name: hr-b
          security:
            projectMonitorSubjects:
            - kind: ServiceAccount
              name: auditor
              namespace: audit
        """

    @Test("`rbac render` output decodes into the typed models, and applied with the controller's client gives what the controller makes")
    func renderedEqualsReconciled() async throws {
        let parsed = try RBACYAML.parse(Self.inputYAML, source: "input.yaml")
        let rendered = try RBACYAML.render(try DesiredState(inputs: parsed.inputs))
        let objects = try RBACYAML.parse(rendered, source: "rendered.yaml").objects
        #expect(objects.filter { $0.kind == "ClusterRole" }.count == 9)
        #expect(objects.filter { $0.kind == "ClusterRoleBinding" }.count == 4)
        #expect(objects.filter { $0.kind == "Namespace" }.count == 3)
        // sales: 4 + the verrazzano-cluster-managed1 binding; hr: 4 in each of two namespaces.
        #expect(objects.filter { $0.kind == "RoleBinding" }.count == 13)

        // 1. The rendered objects applied as `kubectl apply` would, with the client the controller writes with.
        var applied: [String: JSONValue] = [:]
        try await ControllerHarness.with { harness in
            for object in objects {
                _ = try await harness.client.apply(object, object.resource, namespace: object.namespace, name: object.name,
                                                   fieldManager: "kubectl")
            }
            applied = Self.rbacObjects(harness)
        }

        // 2. The same inputs as resources in a cluster, reconciled by the controller.
        var reconciled: [String: JSONValue] = [:]
        try await ControllerHarness.with { harness in
            for input in parsed.inputs {
                switch input.resource {
                case .verrazzano(let verrazzano):
                    try harness.server.upsert(verrazzano, resource: "verrazzanos", group: "install.verrazzano.io", namespace: "default")
                case .project(let project):
                    // The double serves one version; the stored object keeps the shape it was written in.
                    var stored = project
                    stored.apiVersion = "clusters.verrazzano.io/v1alpha1"
                    try harness.server.upsert(stored, resource: "verrazzanoprojects", group: "clusters.verrazzano.io",
                                              namespace: "verrazzano-mc")
                }
            }
            // What Verrazzano's cluster registration creates; the managed-cluster bindings refer to it.
            try harness.server.upsert(ClusterRole(metadata: KubeObjectMeta(name: RoleCatalogue.managedCluster), rules: []),
                                      resource: "clusterroles", group: "rbac.authorization.k8s.io")
            let running = harness.startController()
            #expect(await eventually { harness.projectState("sales") == "Succeeded" && harness.projectState("hr") == "Succeeded" },
                    "\(String(describing: harness.project("sales")?["status"])) \(String(describing: harness.project("hr")?["status"]))")
            reconciled = Self.rbacObjects(harness)
            await running.stop()
        }
        let expectedCount = 29  // 9 roles, 4 install bindings, 3 namespaces, 13 role bindings
        #expect(applied.count == expectedCount)
        #expect(Set(applied.keys) == Set(reconciled.keys))
        for (key, object) in applied.sorted(by: { $0.key < $1.key }) {
            #expect(reconciled[key] == object, "\(key) differs")
        }
    }

    /// The Verrazzano RBAC objects in the double, without server-set fields, by `kind namespace/name`.
    static func rbacObjects(_ harness: ControllerHarness) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        let group = "rbac.authorization.k8s.io"
        // The catalogue's roles only: not the cluster's (cluster-admin, admin, edit, view) nor cluster registration's.
        let catalogue = Set(RoleCatalogue.all.map(\.name))
        for name in harness.server.objectNames(resource: "clusterroles", group: group) where catalogue.contains(name) {
            result["ClusterRole \(name)"] = harness.json("clusterroles", group: group, name).map(strip)
        }
        for name in harness.server.objectNames(resource: "clusterrolebindings", group: group) {
            result["ClusterRoleBinding \(name)"] = harness.json("clusterrolebindings", group: group, name).map(strip)
        }
        for name in harness.server.objectNames(resource: "namespaces") where !["default", "kube-system", "kube-public", "verrazzano-mc", "verrazzano-system"].contains(name) {
            result["Namespace \(name)"] = harness.json("namespaces", name).map(strip)
        }
        for namespace in ["sales-app", "hr-a", "hr-b"] {
            for name in harness.roleBindingNames(namespace) {
                result["RoleBinding \(namespace)/\(name)"] = harness.json("rolebindings", group: group, namespace: namespace, name).map(strip)
            }
        }
        return result
    }

    /// The object without what the server sets (uid, versions, timestamps, managed fields, status).
    static func strip(_ object: JSONValue) -> JSONValue {
        guard case .object(var members) = object, case .object(var metadata)? = members["metadata"] else { return object }
        for key in ["uid", "resourceVersion", "creationTimestamp", "managedFields", "generation"] { metadata[key] = nil }
        members["metadata"] = .object(metadata)
        members["status"] = nil
        return .object(members)
    }
}
