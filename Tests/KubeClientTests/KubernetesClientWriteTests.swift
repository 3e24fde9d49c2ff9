import Foundation
import KubeClient
import Testing
import VZAuthTestSupport

@Suite("Kubernetes client: apply, status, conditional delete and conflict retries")
struct KubernetesClientWriteTests {
    @Test("server-side apply creates, then changes only what it sets; the field manager is sent")
    func apply() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let first = try await client.apply(ConfigMap(name: "settings", namespace: "default", data: ["a": "1"]),
                                                   .configMaps, namespace: "default", name: "settings", fieldManager: "test-manager")
                #expect(first.data == ["a": "1"])
                // Another writer adds a label; a later apply keeps it and replaces the data it owns.
                _ = try await client.patch(ConfigMap.self, .configMaps, namespace: "default", name: "settings",
                                           mergePatch: ["metadata": ["labels": ["team": "x"]]])
                let second = try await client.apply(ConfigMap(name: "settings", namespace: "default", data: ["a": "2"]),
                                                    .configMaps, namespace: "default", name: "settings", fieldManager: "test-manager")
                #expect(second.data == ["a": "2"])
                #expect(second.metadata.labels == ["team": "x"])
                let request = try #require(fixture.server.requests.last { $0.method == "PATCH" && $0.uri.contains("fieldManager") })
                #expect(request.uri.contains("fieldManager=test-manager"))
                #expect(request.uri.contains("force=true"))
                #expect(request.header("Content-Type") == "application/apply-patch+yaml")
            }
        }
    }

    @Test("an apply body is compact JSON with sorted keys and no escaped slash: bytes kube-apiserver's YAML reader accepts")
    func applyBodyBytes() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let role: JSONValue = [
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRole",
                    "metadata": ["name": "reader", "labels": ["app.kubernetes.io/managed-by": "vzauth-rbac"]],
                    "rules": [["apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]]],
                ]
                fixture.server.clearRequests()
                _ = try await client.apply(role, .clusterRoles, name: "reader", fieldManager: "test-manager")
                let request = try #require(fixture.server.requests.first { $0.method == "PATCH" })
                #expect(request.bodyText == #"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","#
                    + #""metadata":{"labels":{"app.kubernetes.io/managed-by":"vzauth-rbac"},"name":"reader"},"#
                    + #""rules":[{"apiGroups":[""],"resources":["pods/log"],"verbs":["get"]}]}"#)
                #expect(!request.bodyText.contains(#"\/"#))
            }
        }
    }

    @Test("a stale resourceVersion precondition on delete is a conflict; the right one deletes")
    func conditionalDelete() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let created = try await client.create(ConfigMap(name: "c", data: ["a": "1"]), .configMaps, namespace: "default")
                let updated = try await client.patch(ConfigMap.self, .configMaps, namespace: "default", name: "c",
                                                     mergePatch: ["data": ["a": "2"]])
                await #expect {
                    try await client.delete(.configMaps, namespace: "default", name: "c", preconditions: created.metadata.resourceVersion)
                } throws: { ($0 as? KubeAPIError)?.isConflict == true }
                try await client.delete(.configMaps, namespace: "default", name: "c", preconditions: updated.metadata.resourceVersion)
                await #expect { _ = try await client.get(ConfigMap.self, .configMaps, namespace: "default", name: "c") }
                    throws: { ($0 as? KubeAPIError)?.isNotFound == true }
            }
        }
    }

    @Test("retryingOnConflict reads again and retries a read-modify-write that lost a race")
    func conflictRetries() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                _ = try await client.create(ConfigMap(name: "counter", data: ["n": "0"]), .configMaps, namespace: "default")
                let attempts = Counter()
                let result = try await client.retryingOnConflict {
                    var object = try await client.get(ConfigMap.self, .configMaps, namespace: "default", name: "counter")
                    if attempts.next() == 1 {
                        // Someone else writes between our read and our write.
                        _ = try await client.patch(ConfigMap.self, .configMaps, namespace: "default", name: "counter",
                                                   mergePatch: ["data": ["n": "5"]])
                    }
                    let current = Int(object.data?["n"] ?? "0") ?? 0
                    object.data = ["n": String(current + 1)]
                    return try await client.update(object, .configMaps, namespace: "default", name: "counter")
                }
                #expect(result.data == ["n": "6"])
                #expect(attempts.value == 2)
                // Conflicts beyond the attempts are thrown.
                await #expect {
                    _ = try await client.retryingOnConflict(attempts: 2) { () async throws -> Int in
                        throw KubeAPIError(code: 409, reason: "Conflict", message: "always")
                    }
                } throws: { ($0 as? KubeAPIError)?.isConflict == true }
            }
        }
    }

    @Test("status patches reach the status subresource; errors say whether a retry can help")
    func statusAndRetryable() async throws {
        try await DoubleFixture.with({ $0.additionalResources = [KubeAPIEmulatorStoreTests.widgets] }) { fixture in
            try await fixture.withClient { client in
                let widgets = KubeAPIEmulatorStoreTests.widgetResource
                _ = try await client.create(JSONValue.object(["apiVersion": "example.com/v1", "kind": "Widget",
                                                              "metadata": ["name": "w"], "spec": ["size": 1]]),
                                            widgets, namespace: "default")
                let patched = try await client.patch(JSONValue.self, widgets, namespace: "default", name: "w", subresource: "status",
                                                     mergePatch: JSONValue.object(["status": ["ready": true], "spec": ["size": 9]]))
                #expect(patched["status"]?["ready"] == .bool(true))
                #expect(patched["spec"]?["size"] == .integer(1), "a status write leaves the spec alone")
            }
        }
        #expect(KubeAPIError(code: 503, reason: "ServiceUnavailable", message: "").isRetryable)
        #expect(KubeAPIError(code: 429, reason: "TooManyRequests", message: "").isRetryable)
        #expect(!KubeAPIError(code: 409, reason: "Conflict", message: "").isRetryable)
        #expect(!KubeAPIError(code: 422, reason: "Invalid", message: "").isRetryable)
    }
}

/// Counts attempts across closure calls.
private final class Counter: @unchecked Sendable {
    // @unchecked: only used from one task at a time (sequential retries).
    private(set) var value = 0
    func next() -> Int {
        self.value += 1
        return self.value
    }
}
