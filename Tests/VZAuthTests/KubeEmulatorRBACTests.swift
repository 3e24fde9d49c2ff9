import Foundation
import KubeModels
import Testing
import VZAuthTestSupport
import VerrazzanoRBAC

/// The real kubectl against the emulator in RBAC mode, over TLS, with the Verrazzano role catalogue, the install
/// bindings and the bindings of a project `hello`: what the sandbox's users see.
@Suite("kubectl against the emulator with RBAC", .serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl")))
struct KubeEmulatorRBACTests {
    static let proxyAccount = "system:serviceaccount:verrazzano-system:verrazzano-authproxy"

    /// Users by token.
    static let users: [String: KubeUser] = [
        "admin-token": KubeUser(name: "admin", groups: [KubeUser.privilegedGroup, KubeUser.authenticatedGroup]),
        "alice-token": KubeUser(name: "alice", groups: [DesiredState.defaultAdminGroup, KubeUser.authenticatedGroup]),
        "bob-token": KubeUser(name: "bob", groups: [DesiredState.defaultProjectMonitorGroup("hello"), KubeUser.authenticatedGroup]),
        "carol-token": KubeUser(name: "carol", groups: [KubeUser.authenticatedGroup]),
    ]

    /// The emulator and a kubeconfig per user (`admin`, `alice`, `bob`, `carol`, and `proxy` for the service account).
    struct Fixture {
        let server: KubeAPIEmulator
        let kubeconfigs: [String: String]

        func kubectl(_ user: String, _ arguments: String...) async throws -> CommandResult {
            try await self.kubectl(user, arguments)
        }

        func kubectl(_ user: String, _ arguments: [String]) async throws -> CommandResult {
            try await run("/usr/bin/kubectl", ["--kubeconfig", self.kubeconfigs[user]!, "--request-timeout=20s",
                                                "--cache-dir", URL(fileURLWithPath: self.kubeconfigs[user]!).deletingLastPathComponent().appendingPathComponent("cache").path]
                          + arguments)
        }
    }

    static let hello = VerrazzanoProject(
        apiVersion: "clusters.verrazzano.io/v1alpha1",
        metadata: KubeObjectMeta(name: "hello", namespace: VerrazzanoProject.projectsNamespace),
        spec: .init(placement: .init(clusters: [.init(name: "local")]),
                    template: .init(namespaces: [.init(metadata: KubeObjectMeta(name: "hello"))])))

    /// Stores the Verrazzano catalogue and bindings in `server` (as the RBAC controller would).
    static func installVerrazzanoRBAC(in server: KubeAPIEmulator) throws {
        let group = "rbac.authorization.k8s.io"
        for role in RoleCatalogue.all { try server.upsert(role, resource: "clusterroles", group: group) }
        for binding in DesiredState.installBindings(for: nil) { try server.upsert(binding, resource: "clusterrolebindings", group: group) }
        for binding in DesiredState.projectObjects(for: hello).roleBindings {
            try server.upsert(binding, resource: "rolebindings", group: group, namespace: binding.metadata.namespace)
        }
    }

    static func with(_ body: (Fixture) async throws -> Void) async throws {
        let authority = try TestCertificateAuthority()
        defer { authority.removeFiles() }
        let web = try await KubeEmulatorDemoWebServer.start()
        var configuration = KubeAPIEmulator.Configuration(
            tlsConfiguration: try authority.makeServerCertificate().serverTLSConfiguration())
        configuration.authorization = .rbac
        configuration.additionalTokens = Self.users
        configuration.additionalResources = KubeAPIEmulator.ResourceType.verrazzanoResources
        configuration.exec = KubeEmulatorDemo.exec
        configuration.portForwardTarget = { _ in web.port }
        let server = try await KubeAPIEmulator.start(configuration: configuration)
        let outcome = await Result {
            try server.seed(KubeEmulatorDemo.standard)
            try Self.installVerrazzanoRBAC(in: server)
            var kubeconfigs: [String: String] = [:]
            let tokens = Self.users.map { ($0.value.name, $0.key) } + [("proxy", configuration.token)]
            for (name, token) in tokens {
                let directory = authority.directory.appendingPathComponent(name)
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                kubeconfigs[name] = try server.writeKubeconfig(in: directory, certificateAuthorityFile: authority.certificateFile,
                                                               token: token).path
            }
            try await body(Fixture(server: server, kubeconfigs: kubeconfigs))
        }
        try await server.shutdown()
        try await web.shutdown()
        try outcome.get()
    }

    @Test("bob follows logs and watches pods in hello; alice port-forwards to a demo pod and runs commands in it")
    func streams() async throws {
        try await Self.with { fixture in
            let bobConfig = fixture.kubeconfigs["bob"]!
            let logs = try BackgroundCommand("/usr/bin/kubectl", ["--kubeconfig", bobConfig, "logs", "-f", "hello-web-0", "-n", "hello"])
            defer { logs.stop() }
            #expect(await logs.waitFor { $0.contains("listening on :8080") }, "\(logs.text)")
            for _ in 0..<100 where fixture.server.activeLogFollowerCount == 0 { try await Task.sleep(for: .milliseconds(50)) }
            fixture.server.appendLog(namespace: "hello", pod: "hello-web-0", line: "GET /later 200")
            #expect(await logs.waitFor { $0.contains("GET /later 200") }, "\(logs.text)")

            let watch = try BackgroundCommand("/usr/bin/kubectl", ["--kubeconfig", bobConfig, "get", "pods", "-w", "-n", "hello"])
            defer { watch.stop() }
            #expect(await watch.waitFor { $0.contains("hello-web-1") }, "\(watch.text)")
            let forbiddenWatch = try await fixture.kubectl("bob", "get", "secrets", "-w", "-n", "hello", "--request-timeout=2s")
            #expect(forbiddenWatch.stderr.contains(#"cannot list resource "secrets""#) || forbiddenWatch.stderr.contains(#"cannot watch resource "secrets""#),
                    "\(forbiddenWatch.stderr)")

            let forward = try BackgroundCommand("/usr/bin/kubectl", ["--kubeconfig", fixture.kubeconfigs["alice"]!, "port-forward",
                                                                     "-n", "hello", "pod/hello-web-0", ":8080"])
            defer { forward.stop() }
            #expect(await forward.waitFor { $0.contains("Forwarding from 127.0.0.1:") }, "\(forward.text)")
            let port = try #require(forward.text.split(separator: "\n").first { $0.hasPrefix("Forwarding from 127.0.0.1:") }
                .flatMap { $0.dropFirst("Forwarding from 127.0.0.1:".count).split(separator: " ").first })
            let page = try await run("/usr/bin/curl", ["-sS", "http://127.0.0.1:\(port)/index.html"])
            #expect(page.stdout == "Hello from Verrazzano (GET /index.html)\n", "\(page.stderr) \(forward.text)")
            let ls = try await fixture.kubectl("alice", "exec", "hello-web-0", "-n", "hello", "--", "ls")
            #expect(ls.stdout.contains("index.html"), "\(ls.stderr)")
        }
    }

    @Test("auth can-i answers from the Verrazzano roles: bob reads hello only, alice administers, carol nothing")
    func canI() async throws {
        try await Self.with { fixture in
            let rows: [(user: String, arguments: [String], allowed: Bool)] = [
                ("bob", ["list", "pods", "-n", "hello"], true),
                ("bob", ["get", "pods/log", "-n", "hello"], true),
                ("bob", ["list", "pods", "-n", "default"], false),
                ("bob", ["list", "secrets", "-n", "hello"], false),
                ("bob", ["delete", "pods", "-n", "hello"], false),
                ("alice", ["create", "rolebindings", "-n", "hello"], true),
                ("alice", ["create", "verrazzanoprojects.clusters.verrazzano.io", "-n", "verrazzano-mc"], true),
                ("carol", ["list", "pods", "-n", "hello"], false),
                ("admin", ["delete", "nodes"], true),
                ("carol", ["get", "/version"], true),
                ("carol", ["get", "/metrics"], false),
            ]
            for row in rows {
                let result = try await fixture.kubectl(row.user, ["auth", "can-i"] + row.arguments)
                #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == (row.allowed ? "yes" : "no"),
                        "\(row.user) can-i \(row.arguments): \(result.stdout) \(result.stderr)")
                #expect(result.status == (row.allowed ? 0 : 1))
            }
        }
    }

    @Test("auth can-i --list lists bob's rules in hello; auth whoami names him and his groups")
    func listAndWhoami() async throws {
        try await Self.with { fixture in
            let list = try await fixture.kubectl("bob", "auth", "can-i", "--list", "-n", "hello")
            #expect(list.status == 0, "\(list.stderr)")
            #expect(list.stdout.contains("Resources"), "\(list.stdout)")
            #expect(list.stdout.split(separator: "\n").contains { $0.hasPrefix("pods ") && $0.contains("get") && $0.contains("list") },
                    "\(list.stdout)")
            #expect(list.stdout.contains("selfsubjectaccessreviews.authorization.k8s.io"))
            #expect(list.stdout.contains("/version"))

            let whoami = try await fixture.kubectl("bob", "auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}")
            #expect(whoami.status == 0, "\(whoami.stderr)")
            #expect(whoami.stdout.contains("bob"))
            #expect(whoami.stdout.contains("verrazzano-project-hello-monitors"))
        }
    }

    @Test("bob gets the pods, logs and ConfigMap of hello; secrets anywhere are forbidden with kube-apiserver's message")
    func getAndForbidden() async throws {
        try await Self.with { fixture in
            let pods = try await fixture.kubectl("bob", "get", "pods", "-n", "hello")
            #expect(pods.status == 0, "\(pods.stderr)")
            #expect(pods.stdout.contains("hello-web-0"))
            #expect(pods.stdout.contains("hello-web-1"))
            let logs = try await fixture.kubectl("bob", "logs", "hello-web-0", "-n", "hello")
            #expect(logs.stdout.contains("listening on :8080"), "\(logs.stderr)")

            let secrets = try await fixture.kubectl("bob", "get", "secrets", "-A")
            #expect(secrets.status != 0)
            #expect(secrets.stderr.contains(
                #"Error from server (Forbidden): secrets is forbidden: User "bob" cannot list resource "secrets" in API group "" at the cluster scope"#),
                "\(secrets.stderr)")
            let one = try await fixture.kubectl("bob", "get", "secret", "hello-web-credentials", "-n", "hello")
            #expect(one.stderr.contains(
                #"secrets "hello-web-credentials" is forbidden: User "bob" cannot get resource "secrets" in API group "" in the namespace "hello""#),
                "\(one.stderr)")
            let deployments = try await fixture.kubectl("carol", "get", "deployments", "-n", "hello")
            #expect(deployments.stderr.contains(
                #"deployments.apps is forbidden: User "carol" cannot list resource "deployments" in API group "apps" in the namespace "hello""#),
                "\(deployments.stderr)")

            let adminSecrets = try await fixture.kubectl("alice", "get", "secrets", "-n", "hello", "-o", "name")
            #expect(adminSecrets.stdout.contains("secret/hello-web-credentials"), "\(adminSecrets.stderr)")
            let exec = try await fixture.kubectl("alice", "exec", "hello-web-1", "-n", "hello", "--", "hostname")
            #expect(exec.stdout == "hello-web-1\n", "\(exec.stderr)")
            let bobExec = try await fixture.kubectl("bob", "exec", "hello-web-1", "-n", "hello", "--", "hostname")
            #expect(bobExec.status != 0)
        }
    }

    @Test("the proxy's service account impersonates only with the impersonate ClusterRole of deploy/base/api-proxy.yaml")
    func impersonation() async throws {
        try await Self.with { fixture in
            // Discovery first, as the service account itself: kubectl (like against kube-apiserver) reports a refused
            // impersonation during discovery only as "Forbidden: unknown".
            let discovery = try await fixture.kubectl("proxy", "api-resources")
            #expect(discovery.status == 0, "\(discovery.stderr)")
            let refused = try await fixture.kubectl("proxy", "get", "pods", "-n", "hello", "--as", "bob",
                                                    "--as-group", "verrazzano-project-hello-monitors")
            #expect(refused.status != 0)
            #expect(refused.stderr.contains(
                #"users "bob" is forbidden: User "system:serviceaccount:verrazzano-system:verrazzano-authproxy" cannot impersonate resource "users" in API group "" at the cluster scope"#),
                "\(refused.stderr)")

            try Self.grantProxyImpersonation(in: fixture.server)
            let allowed = try await fixture.kubectl("proxy", "get", "pods", "-n", "hello", "--as", "bob",
                                                    "--as-group", "verrazzano-project-hello-monitors")
            #expect(allowed.status == 0, "\(allowed.stderr)")
            #expect(allowed.stdout.contains("hello-web-0"))
            let whoami = try await fixture.kubectl("proxy", "auth", "whoami", "--as", "bob", "-o", "jsonpath={.status.userInfo.groups}")
            #expect(whoami.stdout.contains("system:authenticated"), "\(whoami.stderr)")
            let asBobSecrets = try await fixture.kubectl("proxy", "get", "secrets", "-n", "hello", "--as", "bob",
                                                         "--as-group", "verrazzano-project-hello-monitors")
            #expect(asBobSecrets.stderr.contains(#"User "bob" cannot list resource "secrets""#), "\(asBobSecrets.stderr)")
            let extra = try await fixture.kubectl("proxy", "get", "pods", "-n", "hello", "--as", "bob", "--as-uid", "1234")
            #expect(extra.stderr.contains(
                #"uids.authentication.k8s.io "1234" is forbidden: User "system:serviceaccount:verrazzano-system:verrazzano-authproxy" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope"#),
                "\(extra.stderr)")
            let account = try await fixture.kubectl("proxy", "get", "pods", "-n", "hello", "--as", "system:serviceaccount:hello:default")
            #expect(account.stderr.contains(
                #"serviceaccounts "default" is forbidden: User "system:serviceaccount:verrazzano-system:verrazzano-authproxy" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "hello""#),
                "\(account.stderr)")
        }
    }

    /// The ClusterRole and ClusterRoleBinding of `deploy/base/api-proxy.yaml`.
    static func grantProxyImpersonation(in server: KubeAPIEmulator) throws {
        let group = "rbac.authorization.k8s.io"
        try server.upsert(ClusterRole(metadata: KubeObjectMeta(name: "verrazzano-authproxy"), rules: [
            PolicyRule(apiGroups: [""], resources: ["users", "groups"], verbs: ["impersonate"]),
        ]), resource: "clusterroles", group: group)
        try server.upsert(ClusterRoleBinding(
            metadata: KubeObjectMeta(name: "verrazzano-authproxy"), roleRef: .clusterRole("verrazzano-authproxy"),
            subjects: [.serviceAccount("verrazzano-authproxy", namespace: "verrazzano-system")]),
            resource: "clusterrolebindings", group: group)
    }

    @Test("writes of roles and bindings are checked for escalation; alice may bind in hello")
    func escalation() async throws {
        try await Self.with { fixture in
            let group = "rbac.authorization.k8s.io"
            try fixture.server.upsert(Role(metadata: KubeObjectMeta(name: "role-writer", namespace: "default"), rules: [
                PolicyRule(apiGroups: [group], resources: ["roles", "rolebindings"], verbs: ["create", "get"]),
                PolicyRule(apiGroups: [""], resources: ["configmaps"], verbs: ["get"]),
            ]), resource: "roles", group: group, namespace: "default")
            try fixture.server.upsert(RoleBinding(
                metadata: KubeObjectMeta(name: "role-writer", namespace: "default"), roleRef: RoleRef(kind: "Role", name: "role-writer"),
                subjects: [.user("carol")]), resource: "rolebindings", group: group, namespace: "default")

            let refused = try await fixture.kubectl("carol", "create", "role", "secret-reader", "-n", "default",
                                                    "--verb=get,list", "--resource=secrets")
            #expect(refused.status != 0)
            #expect(refused.stderr.contains(#"roles.rbac.authorization.k8s.io "secret-reader" is forbidden: user "carol" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:"#),
                    "\(refused.stderr)")
            #expect(refused.stderr.contains(#"{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}"#), "\(refused.stderr)")
            let held = try await fixture.kubectl("carol", "create", "role", "cm-reader", "-n", "default", "--verb=get", "--resource=configmaps")
            #expect(held.status == 0, "\(held.stderr)")
            let bindRefused = try await fixture.kubectl("carol", "create", "rolebinding", "me-admin", "-n", "default",
                                                        "--clusterrole=admin", "--user=carol")
            #expect(bindRefused.stderr.contains("is attempting to grant RBAC permissions not currently held"), "\(bindRefused.stderr)")

            let bound = try await fixture.kubectl("alice", "create", "rolebinding", "dave-view", "-n", "hello",
                                                  "--clusterrole=view", "--user=dave")
            #expect(bound.status == 0, "\(bound.stderr)")
            let dave = try await fixture.kubectl("admin", "auth", "can-i", "list", "pods", "-n", "hello", "--as", "dave")
            #expect(dave.stdout.hasPrefix("yes"), "\(dave.stdout) \(dave.stderr)")
        }
    }

    @Test("kubectl apply of a VerrazzanoProject works for alice; bob may not")
    func applyProject() async throws {
        try await Self.with { fixture in
            let manifest = """
                apiVersion: clusters.verrazzano.io/v1alpha1
                kind: VerrazzanoProject
                metadata:
                  name: shop
                  namespace: verrazzano-mc
                spec:
                  template:
                    namespaces:
                    - metadata:
                        name: shop
                """
            try await Self.ensureNamespace("verrazzano-mc", fixture)
            let applied = try await run("/usr/bin/kubectl", ["--kubeconfig", fixture.kubeconfigs["alice"]!, "apply", "-f", "-"], stdin: manifest)
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(applied.stdout.contains("verrazzanoproject.clusters.verrazzano.io/shop created"), "\(applied.stdout)")
            let listed = try await fixture.kubectl("alice", "get", "vp", "-n", "verrazzano-mc", "-o", "name")
            #expect(listed.stdout.contains("verrazzanoproject.clusters.verrazzano.io/shop"), "\(listed.stderr)")
            let bob = try await run("/usr/bin/kubectl", ["--kubeconfig", fixture.kubeconfigs["bob"]!, "apply", "-f", "-"], stdin: manifest)
            #expect(bob.status != 0)
            #expect(bob.stderr.contains("forbidden"), "\(bob.stderr)")
        }
    }

    static func ensureNamespace(_ name: String, _ fixture: Fixture) async throws {
        let created = try await fixture.kubectl("admin", "create", "namespace", name)
        #expect(created.status == 0 || created.stderr.contains("AlreadyExists"), "\(created.stderr)")
    }
}

/// The API proxy impersonating through the emulator in RBAC mode, with exactly the rights `deploy/base/api-proxy.yaml`
/// gives its service account.
@Suite("the API proxy through the emulator with RBAC", .serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl")))
struct APIProxyThroughRBACTests {
    @Test("with deploy/base/api-proxy.yaml's ClusterRole the proxy impersonates Keycloak users, whose own RBAC decides")
    func impersonatesWithItsClusterRole() async throws {
        try await ProxyHarness.with(configureAPIServer: { $0.authorization = .rbac }) { harness in
            try harness.apiServer.seed(KubeEmulatorDemo.standard)
            try KubeEmulatorRBACTests.installVerrazzanoRBAC(in: harness.apiServer)
            let admin = harness.issuer.mint(claims: harness.issuer.minter.keycloakClaims(groups: ["verrazzano-admins"]))
            let adminConfig = try harness.kubeconfig(token: admin, name: "admin")

            // (`--raw`: a refusal during discovery is reported as "Forbidden: unknown", by kube-apiserver too.)
            let refused = try await kubectl(adminConfig, "get", "--raw", "/api/v1/namespaces/hello/pods")
            #expect(refused.status != 0)
            #expect(refused.stderr.contains(#"cannot impersonate resource "users" in API group "" at the cluster scope"#), "\(refused.stderr)")

            try KubeEmulatorRBACTests.grantProxyImpersonation(in: harness.apiServer)
            let pods = try await kubectl(adminConfig, "get", "pods", "-n", "hello")
            #expect(pods.status == 0, "\(pods.stderr)")
            #expect(pods.stdout.contains("hello-web-0"))

            let nobody = harness.issuer.mint(claims: harness.issuer.minter.keycloakClaims(groups: ["team-a"]))
            let nobodyConfig = try harness.kubeconfig(token: nobody, name: "nobody")
            let secrets = try await kubectl(nobodyConfig, "get", "secrets", "-n", "hello")
            #expect(secrets.status != 0)
            #expect(secrets.stderr.contains(#"cannot list resource "secrets" in API group "" in the namespace "hello""#), "\(secrets.stderr)")
            let canI = try await kubectl(nobodyConfig, "auth", "can-i", "list", "pods", "-n", "hello")
            #expect(canI.stdout.hasPrefix("no"), "\(canI.stdout) \(canI.stderr)")
        }
    }
}
