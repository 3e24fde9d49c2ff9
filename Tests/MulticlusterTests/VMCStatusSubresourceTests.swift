import Foundation
import KubeClient
import KubeModels
import Multicluster
import Testing
import VZAuthTestSupport

/// The API server double serves `status` of VMCs as kube-apiserver serves a CRD with the status subresource:
/// writes to the main resource never change `status`, writes to `status` change nothing else.
@Suite("Multicluster: the double's VMC status subresource")
struct VMCStatusSubresourceTests {
    static let vmc = VerrazzanoManagedCluster.resource
    static let namespace = MulticlusterDouble.namespace

    @Test("create, update, merge patch and apply of the main resource keep status; writes to status keep spec")
    func statusSubresource() async throws {
        try await MulticlusterDouble.with { double in
            let client = double.client
            func read() async throws -> VerrazzanoManagedCluster {
                try await client.get(VerrazzanoManagedCluster.self, Self.vmc, namespace: Self.namespace, name: "managed1")
            }
            // Create: the given status is dropped.
            _ = try await client.create(VerrazzanoManagedCluster(name: "managed1", caSecret: "ca-1", apiUrl: "https://created.example.com"),
                                        Self.vmc, namespace: Self.namespace)
            #expect(try await read().status.apiUrl == nil)
            #expect(try await read().spec.caSecret == "ca-1")

            // Writes to status change only status.
            func statusApply(_ name: String) -> JSONValue {
                [
                    "apiVersion": "clusters.verrazzano.io/v1alpha1", "kind": "VerrazzanoManagedCluster",
                    "metadata": ["name": .string(name), "namespace": .string(Self.namespace)],
                    "spec": ["caSecret": "from-status-apply"], "status": ["apiUrl": "https://applied.example.com"],
                ]
            }
            try await client.perform(.apply(statusApply("managed1"), Self.vmc, namespace: Self.namespace, name: "managed1",
                                            subresource: "status", fieldManager: "vzauth"))
            #expect(try await read().status.apiUrl == "https://applied.example.com")
            #expect(try await read().spec.caSecret == "ca-1")
            let statusPatch: JSONValue = ["spec": ["caSecret": "from-status-patch"], "status": ["apiUrl": "https://patched.example.com"]]
            _ = try await client.patch(JSONValue.self, Self.vmc, namespace: Self.namespace, name: "managed1", subresource: "status",
                                       mergePatch: statusPatch)
            #expect(try await read() == VerrazzanoManagedCluster.with(try await read(), caSecret: "ca-1", apiUrl: "https://patched.example.com"))

            // Writes to the main resource change only spec.
            let mainApply: JSONValue = [
                "apiVersion": "clusters.verrazzano.io/v1alpha1", "kind": "VerrazzanoManagedCluster",
                "metadata": ["name": "managed1", "namespace": .string(Self.namespace)],
                "spec": ["caSecret": "ca-2"], "status": ["apiUrl": "https://ignored.example.com"],
            ]
            try await client.perform(.apply(mainApply, Self.vmc, namespace: Self.namespace, name: "managed1", fieldManager: "vzauth"))
            #expect(try await read().spec.caSecret == "ca-2")
            #expect(try await read().status.apiUrl == "https://patched.example.com")
            let mainPatch: JSONValue = ["spec": ["caSecret": "ca-3"], "status": ["apiUrl": "https://ignored.example.com"]]
            _ = try await client.patch(JSONValue.self, Self.vmc, namespace: Self.namespace, name: "managed1", mergePatch: mainPatch)
            var current = try await read()
            #expect(current.spec.caSecret == "ca-3" && current.status.apiUrl == "https://patched.example.com")
            current.spec.caSecret = "ca-4"
            current.status.apiUrl = "https://ignored.example.com"
            _ = try await client.update(current, Self.vmc, namespace: Self.namespace, name: "managed1")
            current = try await read()
            #expect(current.spec.caSecret == "ca-4" && current.status.apiUrl == "https://patched.example.com")

            // Applying to the status of a missing VMC creates nothing.
            do {
                try await client.perform(.apply(statusApply("nowhere"), Self.vmc, namespace: Self.namespace, name: "nowhere",
                                                subresource: "status", fieldManager: "vzauth"))
                Issue.record("applying to the status of a missing VMC succeeded")
            } catch let error as KubeAPIError {
                #expect(error.code == 404, "\(error)")
            }
            #expect(double.server.objectNames(resource: "verrazzanomanagedclusters", group: VerrazzanoManagedCluster.group,
                                              namespace: Self.namespace) == ["managed1"])
        }
    }
}

extension VerrazzanoManagedCluster {
    /// `cluster` with `spec.caSecret` and `status.apiUrl` replaced.
    fileprivate static func with(_ cluster: VerrazzanoManagedCluster, caSecret: String?, apiUrl: String?) -> VerrazzanoManagedCluster {
        var copy = cluster
        copy.spec.caSecret = caSecret
        copy.status.apiUrl = apiUrl
        return copy
    }
}
