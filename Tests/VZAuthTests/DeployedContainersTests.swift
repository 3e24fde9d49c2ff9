import DevelopmentCertificates
import Foundation
import KubeClient
import NIOHTTP1
import NIOPosix
import Testing
import VZAuthTestSupport

/// Every vzauth container of `deploy/`, started as its manifest says: its own arguments, its mounted ConfigMaps and
/// Secrets at the paths it names, its environment. Only what an operator replaces is replaced (the issuer and the
/// placeholder hosts), plus the listen addresses (free loopback ports) and `--kubeconfig` for the API server
/// emulator in place of the pod's service account. Run as root (CI), each runs as the pod's user with every
/// capability dropped (`setpriv`). A flag renamed in the binary, a config key the ConfigMap misspells, a path that
/// does not match its mount, or a socket option that needs a capability fails here, before anyone deploys.
@Suite("deploy/: each vzauth container started as its manifest says", .serialized)
struct DeployedContainersTests {
    /// The placeholders of the manifests an operator replaces, and the listen addresses.
    private static func placeholders(issuer: String) -> [(String, String)] {
        [
            ("https://keycloak.example.com/auth/realms/verrazzano-system", issuer),
            ("https://keycloak.admin.example.com/auth/realms/verrazzano-system", issuer),
            ("0.0.0.0:8775", "127.0.0.1:0"),
            ("0.0.0.0:8776", "127.0.0.1:0"),
        ]
    }

    /// A cookie secret as deploy/README.md makes one (`openssl rand -base64 48`).
    private static var cookieSecret: Data {
        Data((0..<48).map { _ in UInt8.random(in: 0...255) }).base64EncodedData()
    }

    /// A running container: the process, its ports, and the folder its volumes are in.
    private struct Started {
        var running: BinaryLifecycleTests.Running
        var directory: URL
        var launch: ManifestContainer.Launch

        /// SIGTERM, and the folder removed (not waited for: `waitUntilExit` would block a thread of the test pool).
        func stop() {
            if running.process.isRunning { running.process.terminate() }
            try? FileManager.default.removeItem(at: directory)
        }
    }

    private func start(
        _ container: ManifestContainer, listeners: [String], issuer: String, kubeconfig: URL?,
        secrets: [String: [String: Data]] = [:], replacing extra: [(String, String)] = []
    ) async throws -> Started {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-pod-\(UUID().uuidString)")
        let launch = try container.layOut(in: directory, secrets: secrets,
                                          replacing: Self.placeholders(issuer: issuer) + extra)
        for placeholder in ["example.com/auth/realms", "0.0.0.0:"] {
            #expect(!launch.arguments.contains { $0.contains(placeholder) }, "\(placeholder) left in \(launch.arguments)")
        }
        let arguments = launch.arguments + (kubeconfig.map { ["--kubeconfig", $0.path] } ?? [])
        // Readable by the pod's user, as the kubelet makes a pod's volumes and projected files.
        for root in [directory] + (kubeconfig.map { [$0.deletingLastPathComponent()] } ?? []) {
            Self.makeReadable(root)
        }
        let running = try await BinaryLifecycleTests.start(arguments, command: [], listeners: listeners,
                                                           environment: launch.environment, launcher: launch.launcher)
        let started = Started(running: running, directory: directory, launch: launch)
        if let runAs = container.runAs, !launch.launcher.isEmpty {
            let status = (try? String(contentsOfFile: "/proc/\(running.process.processIdentifier)/status", encoding: .utf8)) ?? ""
            #expect(status.contains("\nUid:\t\(runAs.user)\t"), "runs as the pod's user: \(status)")
            #expect(status.contains("\nCapEff:\t0000000000000000\n"), "without capabilities: \(status)")
        }
        // The readiness probe's endpoint, as the kubelet polls it.
        let readyz = "http://127.0.0.1:\(running.managementPort)/readyz"
        var status = try await BinaryLifecycleTests.get(readyz).0
        let deadline = ContinuousClock.now + .seconds(15)
        while status != .ok, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            status = try await BinaryLifecycleTests.get(readyz).0
        }
        if status != .ok { started.stop() }
        try #require(status == .ok, "\(container.deployment) never became ready: \(running.output.text)")
        #expect(try await BinaryLifecycleTests.get("http://127.0.0.1:\(running.managementPort)/healthz").0 == .ok)
        return started
    }

    /// Folders 0755 and files 0644 under `root`, itself included.
    private static func makeReadable(_ root: URL) {
        let manager = FileManager.default
        let paths = [root.path] + (manager.subpaths(atPath: root.path) ?? []).map { root.appendingPathComponent($0).path }
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            try? manager.setAttributes([.posixPermissions: isDirectory.boolValue ? 0o755 : 0o644], ofItemAtPath: path)
        }
    }

    private func emulator(_ resources: [KubeAPIEmulator.ResourceType] = []) async throws -> (KubeAPIEmulator, URL) {
        var configuration = KubeAPIEmulator.Configuration()
        configuration.additionalResources = resources
        let server = try await KubeAPIEmulator.start(configuration: configuration)
        for name in ["verrazzano-system", "verrazzano-mc"] {
            try server.upsert(JSONValue.object(["metadata": ["name": .string(name)]]), resource: "namespaces")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-kube-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (server, try server.writeKubeconfig(in: directory))
    }

    /// `GET path` with `Host: host` to the proxy on `port`, over plain HTTP as the ingress forwards it, as a browser
    /// asks (`Accept: text/html`: the OIDC proxy answers other clients 401 rather than with a login page).
    private func get(port: Int, host: String, path: String = "/", token: String? = nil) async throws -> HTTPAnswer {
        let connection = try await RawConnection(group: MultiThreadedEventLoopGroup.singleton, port: port)
        defer { Task { await connection.close() } }
        let authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        try await connection.send("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nAccept: text/html\r\n\(authorization)Connection: close\r\n\r\n")
        return HTTPAnswer(await connection.waitFor(timeout: .seconds(10)) { _ in false })
    }

    @Test("the API proxy of the base, the admin cluster and a managed cluster forwards a token's request as its user",
          arguments: [DeployManifestTests.base, DeployManifestTests.adminCluster, DeployManifestTests.managedCluster])
    func apiProxy(kustomization: String) async throws {
        let issuer = OIDCIssuerDouble()
        try await issuer.start()
        let (apiServer, kubeconfig) = try await emulator([.verrazzanoManagedCluster])
        defer { Task { try? await apiServer.shutdown(); try? await issuer.shutdown() } }
        let container = try ManifestContainer(kustomization: kustomization, deployment: DeployManifestTests.proxyAccount)
        // The managed cluster trusts the admin issuer through a CA in a Secret (a PEM file the proxy must read).
        let authority = try DevelopmentCertificateAuthority(commonName: "admin issuer CA")
        let secrets = ["verrazzano-authproxy-admin-issuer-ca": ["ca.crt": Data(authority.certificatePEM.utf8)]]
        let started = try await start(container, listeners: ["api", "management"], issuer: issuer.issuer,
                                      kubeconfig: kubeconfig, secrets: secrets)
        defer { started.stop() }
        #expect(started.launch.arguments.contains("--managed-clusters") == (kustomization == DeployManifestTests.adminCluster))
        if kustomization == DeployManifestTests.managedCluster {
            #expect(started.launch.arguments.starts(with: ["api-proxy", "--config"]), "\(started.launch.arguments)")
        }

        apiServer.clearRequests()
        let answer = try await get(port: started.running.proxyPort, host: "api.example.com", path: "/api/v1/namespaces",
                                   token: issuer.mint())
        #expect(answer.status == 200, "\(answer)")
        let forwarded = try #require(apiServer.requests.last { $0.path == "/api/v1/namespaces" })
        #expect(forwarded.headers.filter { $0.name.lowercased() == "impersonate-user" }.map(\.value)
            == ["8f0e6c1e-3b7a-4d4f-9b1a-5c2d7e9f0a11"])
        #expect(forwarded.headers.filter { $0.name.lowercased() == "impersonate-group" }.map(\.value).contains("verrazzano-admins"))

        let anonymous = try await get(port: started.running.proxyPort, host: "api.example.com", path: "/api/v1/namespaces")
        #expect(anonymous.status == 401, "\(anonymous)")
    }

    @Test("the admin cluster's OIDC proxy sends a browser to the issuer for each routed console, and refuses other hosts")
    func adminOIDCProxy() async throws {
        let issuer = OIDCIssuerDouble()
        try await issuer.start()
        defer { Task { try? await issuer.shutdown() } }
        let container = try ManifestContainer(kustomization: DeployManifestTests.adminCluster,
                                              deployment: DeployManifestTests.oidcProxyAccount)
        let started = try await start(container, listeners: ["oidc", "management"], issuer: issuer.issuer, kubeconfig: nil,
                                      secrets: ["vzauth-oidc-proxy-cookie-secret": ["cookie-secret": Self.cookieSecret]])
        defer { started.stop() }
        let port = try #require(started.running.ports["oidc"])
        for host in ["grafana.vmi.system.example.com", "osd.vmi.system.example.com"] {
            let answer = try await get(port: port, host: host)
            #expect(answer.status == 302, "\(host): \(answer)")
            let location = answer.header("Location") ?? ""
            #expect(location.hasPrefix(issuer.issuer + "/protocol/openid-connect/auth?"), "\(host): \(location)")
            #expect(location.contains("redirect_uri=https%3A%2F%2F\(host)%2F_authentication_callback"), "\(host): \(location)")
        }
        #expect(try await get(port: port, host: "other.example.com").status == 421)
    }

    @Test("the Grafana example's OIDC proxy sidecar sends a browser to the issuer")
    func grafanaSidecar() async throws {
        let issuer = OIDCIssuerDouble()
        try await issuer.start()
        defer { Task { try? await issuer.shutdown() } }
        let container = try ManifestContainer(kustomization: DeployManifestTests.grafanaSidecar, deployment: "grafana")
        let started = try await start(container, listeners: ["oidc", "management"], issuer: issuer.issuer, kubeconfig: nil,
                                      secrets: ["grafana-oidc-proxy-cookie-secret": ["cookie-secret": Self.cookieSecret]])
        defer { started.stop() }
        let answer = try await get(port: try #require(started.running.ports["oidc"]), host: "grafana.example.com")
        #expect(answer.status == 302, "\(answer)")
        #expect((answer.header("Location") ?? "").hasPrefix(issuer.issuer + "/protocol/openid-connect/auth?"), "\(answer)")
    }

    @Test("the RBAC controller becomes ready and writes the Verrazzano roles", arguments: DeployManifestTests.overlays)
    func rbacController(kustomization: String) async throws {
        let (apiServer, kubeconfig) = try await emulator([.verrazzano, .verrazzanoProject])
        defer { Task { try? await apiServer.shutdown() } }
        let container = try ManifestContainer(kustomization: kustomization, deployment: DeployManifestTests.controllerAccount)
        let started = try await start(container, listeners: ["management"], issuer: "unused", kubeconfig: kubeconfig)
        defer { started.stop() }
        #expect(started.launch.environment["POD_NAME"] == "vzauth-rbac-controller-7d9f8-abcde")
        let deadline = ContinuousClock.now + .seconds(10)
        while !apiServer.objectNames(resource: "clusterroles", group: "rbac.authorization.k8s.io").contains("verrazzano-admin"),
              ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(apiServer.objectNames(resource: "clusterroles", group: "rbac.authorization.k8s.io").contains("verrazzano-admin"),
                "\(started.running.output.text)")
        let lease = apiServer.object(resource: "leases", group: "coordination.k8s.io", namespace: "verrazzano-system",
                                     name: "vzauth-rbac-controller")
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        #expect((lease?["spec"] as? [String: Any])?["holderIdentity"] as? String == "vzauth-rbac-controller-7d9f8-abcde",
                "the replica is named after its pod (POD_NAME from the downward API)")
    }
}
