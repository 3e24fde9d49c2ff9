import Foundation
import KubeClient
import Testing
import VZAuthTestSupport

/// The real kubectl against the double over TLS: proof that the double behaves like an API server.
@Suite("kubectl against the API server double", .enabled(if: KubectlRunner.isAvailable))
struct KubectlTests {
    /// Runs `body` with a double seeded with a pod and a ConfigMap, and a kubectl pointed at it.
    func withKubectl(
        _ configure: (inout KubeAPIEmulator.Configuration) -> Void = { _ in },
        _ body: (KubeAPIEmulator, KubectlRunner, TemporaryDirectory) async throws -> Void
    ) async throws {
        try await DoubleFixture.with(configure) { fixture in
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let pod: JSONValue = ["metadata": ["name": "web"], "spec": ["containers": [["name": "main", "image": "busybox"]]]]
            try fixture.server.upsert(pod, resource: "pods", namespace: "default")
            try fixture.server.upsert(ConfigMap(name: "settings", data: ["mode": "fast"]), resource: "configmaps", namespace: "default")
            let kubectl = try KubectlRunner(server: fixture.server, authority: fixture.authority, directory: directory)
            try await body(fixture.server, kubectl, directory)
        }
    }

    @Test("kubectl get lists and reads objects, and --raw reaches /version and /metrics")
    func get() async throws {
        try await self.withKubectl { server, kubectl, _ in
            let list = try await kubectl.run("get", "configmaps")
            #expect(list.status == 0, "\(list.stderr)")
            #expect(list.stdout.contains("NAME"))
            #expect(list.stdout.contains("settings"))

            let one = try await kubectl.run("get", "cm", "settings", "-o", "jsonpath={.data.mode}")
            #expect(one.stdout == "fast", "\(one.stderr)")

            let missing = try await kubectl.run("get", "cm", "absent")
            #expect(missing.status != 0)
            #expect(missing.stderr.contains("Error from server (NotFound): configmaps \"absent\" not found"))

            let metrics = try await kubectl.run("get", "--raw", "/metrics")
            #expect(metrics.stdout.contains("kube_api_server_double_requests_total"))
            let version = try await kubectl.run("version", "-o", "json")
            #expect(version.stdout.contains("\"gitVersion\": \"v1.32.0\""), "\(version.stderr)")

            let listRequest = try #require(server.requests.first { $0.path == "/api/v1/namespaces/default/configmaps" })
            #expect(listRequest.header("Authorization") == "Bearer test-token")
        }
    }

    @Test("kubectl apply -f creates, then configures; kubectl delete removes")
    func apply() async throws {
        try await self.withKubectl { server, kubectl, directory in
            let manifest = try directory.write("cm.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: app-config
                  namespace: default
                data:
                  color: blue
                """)
            let created = try await kubectl.run("apply", "-f", manifest)
            #expect(created.status == 0, "\(created.stderr)")
            #expect(created.stdout.contains("configmap/app-config created"))

            try directory.write("cm.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: app-config
                  namespace: default
                data:
                  color: green
                """)
            let configured = try await kubectl.run("apply", "-f", manifest)
            #expect(configured.status == 0, "\(configured.stderr)")
            #expect(configured.stdout.contains("configmap/app-config configured"))
            let color = try await kubectl.run("get", "cm", "app-config", "-o", "jsonpath={.data.color}")
            #expect(color.stdout == "green")

            let deleted = try await kubectl.run("delete", "cm", "app-config")
            #expect(deleted.stdout.contains("configmap \"app-config\" deleted"), "\(deleted.stderr)")
            #expect(server.object(resource: "configmaps", namespace: "default", name: "app-config") == nil)
        }
    }

    @Test("kubectl get -w shows existing objects, then live changes")
    func watch() async throws {
        try await self.withKubectl { server, kubectl, _ in
            let running = try kubectl.start("get", "configmaps", "-w")
            defer { running.stop() }
            _ = try await running.waitForOutput { $0.contains("settings") }
            let deadline = Date().addingTimeInterval(10)
            while server.activeWatchCount == 0, Date() < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            try server.upsert(ConfigMap(name: "live-one"), resource: "configmaps", namespace: "default")
            _ = try await running.waitForOutput { $0.contains("live-one") }
            server.removeObject(resource: "configmaps", namespace: "default", name: "live-one")
            try server.upsert(ConfigMap(name: "live-two"), resource: "configmaps", namespace: "default")
            let output = try await running.waitForOutput { $0.contains("live-two") }
            #expect(output.contains("settings"))
            let watchRequest = try #require(server.requests.first { $0.uri.contains("watch=true") })
            #expect(watchRequest.uri.contains("resourceVersion="))
        }
    }

    @Test("kubectl exec runs over WebSocket v5.channel.k8s.io, with stdin and exit codes")
    func exec() async throws {
        try await self.withKubectl { server, kubectl, _ in
            let hi = try await kubectl.run("exec", "pod/web", "--", "echo", "hi")
            #expect(hi.status == 0, "\(hi.stderr)")
            #expect(hi.stdout == "hi\n")

            let echoed = try await kubectl.run("exec", "-i", "web", "--", "cat", stdin: "hello from stdin\n")
            #expect(echoed.status == 0, "\(echoed.stderr)")
            #expect(echoed.stdout == "hello from stdin\n")

            let failed = try await kubectl.run("exec", "web", "--", "false")
            #expect(failed.status == 1)

            let execRequest = try #require(server.requests.first { $0.path.hasSuffix("/exec") })
            #expect(execRequest.header("Upgrade")?.lowercased() == "websocket")
            #expect(execRequest.header("Sec-WebSocket-Protocol")?.contains("v5.channel.k8s.io") == true)
        }
    }

    @Test("kubectl auth whoami reports the impersonated identity; RBAC decides by it")
    func whoami() async throws {
        let tokenUser = KubeAPIEmulator.Configuration().tokenUser.name
        try await self.withKubectl({ $0.authorization = .allow(users: [tokenUser, "alice"]) }) { server, kubectl, _ in
            let me = try await kubectl.run("auth", "whoami")
            #expect(me.status == 0, "\(me.stderr)")
            #expect(me.stdout.contains(tokenUser))

            let alice = try await kubectl.run("auth", "whoami", "--as", "alice", "--as-group", "devs", "--as-group", "ops")
            #expect(alice.stdout.contains("alice"), "\(alice.stderr)")
            #expect(alice.stdout.contains("[devs ops system:authenticated]"))
            let request = try #require(server.requests.last { $0.path.hasSuffix("/selfsubjectreviews") })
            #expect(request.headerValues("Impersonate-User") == ["alice"])
            #expect(request.headerValues("Impersonate-Group") == ["devs", "ops"])

            let allowed = try await kubectl.run("get", "cm", "--as", "alice")
            #expect(allowed.status == 0)
            let denied = try await kubectl.run("get", "cm", "--as", "bob")
            #expect(denied.status != 0)
            #expect(denied.stderr.contains(
                "Error from server (Forbidden): configmaps is forbidden: User \"bob\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\""))
            let canI = try await kubectl.run("auth", "can-i", "delete", "pods", "--as", "bob")
            #expect(canI.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "no", "\(canI.stderr)")
        }
    }

    @Test("kubectl logs -f streams lines as they are appended; a bad token is refused")
    func logsAndUnauthorized() async throws {
        try await self.withKubectl { server, kubectl, _ in
            server.appendLog(pod: "web", line: "starting")
            let running = try kubectl.start("logs", "-f", "pod/web")
            defer { running.stop() }
            _ = try await running.waitForOutput { $0.contains("starting") }
            server.appendLog(pod: "web", line: "ready")
            _ = try await running.waitForOutput { $0.contains("ready") }

            let refused = try await kubectl.run("get", "cm", "--token", "wrong")
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("Unauthorized"))
        }
    }
}
