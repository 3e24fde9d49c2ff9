import Foundation
import KubeModels
import Testing
import VerrazzanoRBAC

@Suite("Models read what kube-apiserver sends")
struct ModelDecodingTests {
    /// An item of a `RoleBindingList` as kube-apiserver lists it: no `apiVersion` or `kind`, with managed fields.
    static let listedRoleBinding = #"""
        {"metadata":{"name":"admin","namespace":"sales-app","uid":"1f0c","resourceVersion":"812",
        "labels":{"app.kubernetes.io/managed-by":"vzauth-rbac"},
        "managedFields":[{"manager":"vzauth-rbac-controller","operation":"Update","apiVersion":"rbac.authorization.k8s.io/v1",
        "fieldsType":"FieldsV1","fieldsV1":{"f:roleRef":{}}}]},
        "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"admin"}}
        """#

    @Test("list items without apiVersion and kind decode as their type; missing subjects are none")
    func listItems() throws {
        let binding = try JSONDecoder().decode(RoleBinding.self, from: Data(Self.listedRoleBinding.utf8))
        #expect(binding.apiVersion == "rbac.authorization.k8s.io/v1")
        #expect(binding.kind == "RoleBinding")
        #expect(binding.subjects.isEmpty)
        #expect(binding.roleRef == .clusterRole("admin"))

        let clusterBinding = try JSONDecoder().decode(ClusterRoleBinding.self, from: Data(Self.listedRoleBinding.utf8))
        #expect(clusterBinding.kind == "ClusterRoleBinding")

        let role = try JSONDecoder().decode(ClusterRole.self, from: Data(#"{"metadata":{"name":"view"},"aggregationRule":{"clusterRoleSelectors":[]}}"#.utf8))
        #expect(role.kind == "ClusterRole" && role.apiVersion == "rbac.authorization.k8s.io/v1" && role.rules == nil)

        let namespace = try JSONDecoder().decode(Namespace.self, from: Data(#"{"metadata":{"name":"a"},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}"#.utf8))
        #expect(namespace.kind == "Namespace" && namespace.apiVersion == "v1" && namespace.spec != nil)
    }

    @Test("a ClusterRole encodes without the rules it leaves to aggregation")
    func aggregatedRoleEncoding() throws {
        let role = ClusterRole(metadata: KubeObjectMeta(name: "x"), aggregationRule: AggregationRule(clusterRoleSelectors: []))
        let text = String(decoding: try JSONEncoder().encode(role), as: UTF8.self)
        #expect(!text.contains("rules\""), "\(text)")
    }
}
