import Foundation
import KubeClient
import Testing
import VZAuthTestSupport

@Suite("Kubernetes client against the API server double over TLS")
struct KubernetesClientTests {
    @Test("paths for core and named groups, namespaced and cluster-scoped, with encoded names")
    func paths() throws {
        #expect(try KubeResource.configMaps.path(namespace: "ns", name: "a b/c") == "/api/v1/namespaces/ns/configmaps/a%20b%2Fc")
        #expect(try KubeResource.configMaps.path() == "/api/v1/configmaps")
        #expect(try KubeResource.namespaces.path(name: "x") == "/api/v1/namespaces/x")
        #expect(try KubeResource.clusterRoles.path(name: "admin") == "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin")
        #expect(try KubeResource.roleBindings.path(namespace: "ns") == "/apis/rbac.authorization.k8s.io/v1/namespaces/ns/rolebindings")
        #expect(try KubeResource.pods.path(namespace: "ns", name: "p", subresource: "log") == "/api/v1/namespaces/ns/pods/p/log")
        #expect(throws: KubeAPIError.self) { try KubeResource.clusterRoles.path(namespace: "ns") }
    }

    @Test("create, get, list, update, merge patch and delete a ConfigMap")
    func crud() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let created = try await client.create(ConfigMap(name: "settings", data: ["a": "1"]), .configMaps, namespace: "default")
                #expect(created.metadata.uid != nil)
                #expect(created.metadata.namespace == "default")
                let version = try #require(created.metadata.resourceVersion)

                let read = try await client.get(ConfigMap.self, .configMaps, namespace: "default", name: "settings")
                #expect(read == created)

                let list = try await client.list(ConfigMap.self, .configMaps, namespace: "default")
                #expect(list.kind == "ConfigMapList")
                #expect(list.metadata.resourceVersion == version)
                #expect(list.items.map(\.metadata.name) == ["settings"])

                var changed = read
                changed.data = ["a": "2"]
                let updated = try await client.update(changed, .configMaps, namespace: "default", name: "settings")
                #expect(updated.data == ["a": "2"])
                #expect(updated.metadata.resourceVersion != version)

                let patch: JSONValue = ["data": ["b": "3", "a": nil], "metadata": ["labels": ["app": "web"]]]
                let patched = try await client.patch(ConfigMap.self, .configMaps, namespace: "default", name: "settings", mergePatch: patch)
                #expect(patched.data == ["b": "3"])
                #expect(patched.metadata.labels == ["app": "web"])

                try await client.delete(.configMaps, namespace: "default", name: "settings")
                let error = await #expect(throws: KubeAPIError.self) {
                    try await client.get(ConfigMap.self, .configMaps, namespace: "default", name: "settings")
                }
                #expect(error?.isNotFound == true)
                #expect(error?.reason == "NotFound")
                #expect(error?.message == "configmaps \"settings\" not found")
                #expect(error?.status?.details?.name == "settings")
            }
            let methods = fixture.server.requests.map { "\($0.method) \($0.path)" }
            #expect(methods.contains("PATCH /api/v1/namespaces/default/configmaps/settings"))
            let patchRequest = try #require(fixture.server.requests.first { $0.method == "PATCH" })
            #expect(patchRequest.header("Content-Type") == "application/merge-patch+json")
            #expect(patchRequest.header("Authorization") == "Bearer test-token")
        }
    }

    @Test("Status errors: AlreadyExists, Conflict, missing namespace, Forbidden, Unauthorized")
    func statusErrors() async throws {
        try await DoubleFixture.with({ $0.authorization = .custom { $0.verb != "delete" } }) { fixture in
            try await fixture.withClient { client in
                _ = try await client.create(ConfigMap(name: "x"), .configMaps, namespace: "default")
                let exists = await #expect(throws: KubeAPIError.self) {
                    try await client.create(ConfigMap(name: "x"), .configMaps, namespace: "default")
                }
                #expect(exists?.isAlreadyExists == true)
                #expect(exists?.code == 409)

                var stale = ConfigMap(name: "x", data: ["k": "v"])
                stale.metadata.resourceVersion = "1"
                let conflict = await #expect(throws: KubeAPIError.self) {
                    try await client.update(stale, .configMaps, namespace: "default", name: "x")
                }
                #expect(conflict?.isConflict == true)

                let noNamespace = await #expect(throws: KubeAPIError.self) {
                    try await client.create(ConfigMap(name: "y"), .configMaps, namespace: "absent")
                }
                #expect(noNamespace?.message == "namespaces \"absent\" not found")

                let forbidden = await #expect(throws: KubeAPIError.self) {
                    try await client.delete(.configMaps, namespace: "default", name: "x")
                }
                #expect(forbidden?.isForbidden == true)
                #expect(forbidden?.message.contains("cannot delete resource \"configmaps\" in API group \"\" in the namespace \"default\"") == true)
            }
            var wrongToken = fixture.connection
            wrongToken.credential = .bearerToken("wrong")
            try await fixture.withClient(connection: wrongToken) { client in
                let error = await #expect(throws: KubeAPIError.self) {
                    try await client.list(JSONValue.self, .namespaces)
                }
                #expect(error?.isUnauthorized == true)
                #expect(error?.status?.kind == "Status")
                #expect(error?.status?.reason == "Unauthorized")
            }
        }
    }

    @Test("cluster-scoped resources, large bodies, and the response size bound")
    func clusterScopedAndLarge() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let namespaces = try await client.list(JSONValue.self, .namespaces)
                #expect(namespaces.items.compactMap { $0["metadata"]?["name"]?.stringValue } == ["default", "kube-public", "kube-system"])
                let namespace: JSONValue = ["metadata": ["name": "team-a"]]
                _ = try await client.create(namespace, .namespaces)

                let big = String(repeating: "x", count: 3 * 1024 * 1024)
                let created = try await client.create(ConfigMap(name: "big", data: ["blob": big]), .configMaps, namespace: "team-a")
                #expect(created.data?["blob"]?.count == big.count)
            }
            var small = KubernetesClient.Configuration()
            small.maximumResponseSize = 1024
            try await fixture.withClient(configuration: small) { client in
                let error = await #expect(throws: KubeAPIError.self) {
                    try await client.list(JSONValue.self, .configMaps, namespace: "team-a")
                }
                #expect(error?.reason == "ResponseTooLarge")
            }
        }
    }

    @Test("tls-server-name verifies against that name; an untrusted CA fails")
    func tlsServerName() async throws {
        try await DoubleFixture.with { fixture in
            var named = fixture.connection
            named.tlsServerName = "localhost"
            let defaultNamespace = try await fixture.withClient(connection: named) { client in
                try await client.get(JSONValue.self, .namespaces, name: "default")
            }
            #expect(defaultNamespace["metadata"]?["name"]?.stringValue == "default")
            let otherAuthority = try TestCertificateAuthority()
            defer { otherAuthority.removeFiles() }
            var untrusted = fixture.connection
            untrusted.tlsConfiguration = try otherAuthority.clientTLSConfiguration()
            _ = try await fixture.withClient(connection: untrusted) { client in
                await #expect(throws: (any Error).self) {
                    try await client.get(JSONValue.self, .namespaces, name: "default")
                }
            }
        }
    }
}
