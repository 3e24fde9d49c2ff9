import Foundation
import KubeClient
import Multicluster
import Testing
import VZAuthTestSupport

/// Runs the real `vzauth cluster register` against the API server double.
@Suite("vzauth cluster register", .serialized)
struct ClusterRegisterTests {
    static let namespace = VerrazzanoManagedCluster.defaultNamespace

    /// A double serving VMCs (unless `withCRD` is false), with the managed-cluster namespace, and a kubeconfig for it.
    struct Admin {
        let server: KubeAPIEmulator
        let directory: URL
        let kubeconfig: String

        static func with(
            withCRD: Bool = true,
            configure: (inout KubeAPIEmulator.Configuration) -> Void = { _ in },
            _ body: (Admin) async throws -> Void
        ) async throws {
            var configuration = KubeAPIEmulator.Configuration()
            if withCRD { configuration.additionalResources = [.verrazzanoManagedCluster] }
            configure(&configuration)
            let server = try await KubeAPIEmulator.start(configuration: configuration)
            try server.upsert(["metadata": ["name": ClusterRegisterTests.namespace]] as [String: [String: String]], resource: "namespaces")
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-register-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let kubeconfig = try server.writeKubeconfig(in: directory).path
            let outcome = await Result { try await body(Admin(server: server, directory: directory, kubeconfig: kubeconfig)) }
            try? FileManager.default.removeItem(at: directory)
            try await server.shutdown()
            try outcome.get()
        }

        /// `vzauth cluster register ARGUMENTS --kubeconfig KUBECONFIG`.
        func register(_ arguments: [String]) async throws -> CommandResult {
            try await run(BinaryLifecycleTests.binary, ["cluster", "register"] + arguments + ["--kubeconfig", self.kubeconfig])
        }

        func cluster(_ name: String = "managed1") throws -> VerrazzanoManagedCluster? {
            try self.server.object(resource: "verrazzanomanagedclusters", group: VerrazzanoManagedCluster.group,
                                   namespace: ClusterRegisterTests.namespace, name: name)
                .map { try JSONDecoder().decode(VerrazzanoManagedCluster.self, from: $0) }
        }

        func secret(_ name: String = "ca-secret-managed1") throws -> ClusterCASecretObject? {
            try self.server.object(resource: "secrets", namespace: ClusterRegisterTests.namespace, name: name)
                .map { try JSONDecoder().decode(ClusterCASecretObject.self, from: $0) }
        }

        /// The methods of the requests since the last `clearRequests()`, other than reads.
        var writes: [String] {
            self.server.requests.map(\.method).filter { $0 != "GET" }
        }
    }

    /// PEM bytes as text without surrounding white space.
    static func text(_ pem: Data?) -> String? {
        pem.map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    @Test("create, re-run unchanged, new URL, new CA, no CA")
    func lifecycle() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: BinaryLifecycleTests.binary), "build the vzauth product first")
        let authority = try TestCertificateAuthority()
        let other = try TestCertificateAuthority(commonName: "another CA")
        defer { authority.removeFiles(); other.removeFiles() }
        try await Admin.with { admin in
            let url = "https://managed1-proxy.example.com"
            let created = try await admin.register(["managed1", "--api-url", url, "--ca-file", authority.certificateFile.path])
            #expect(created.status == 0, "\(created.stdout)\(created.stderr)")
            #expect(created.stdout.contains("secret verrazzano-mc/ca-secret-managed1 created (cacrt: 1 certificate)"), "\(created.stdout)")
            #expect(created.stdout.contains(
                "verrazzanomanagedcluster verrazzano-mc/managed1 created (spec.caSecret ca-secret-managed1; status.apiUrl \(url))"),
                "\(created.stdout)")
            #expect(created.stdout.contains("vzauth cluster kubeconfig managed1 --server https://"), "\(created.stdout)")
            let secret = try #require(try admin.secret())
            #expect(secret.type == "Opaque")
            #expect(secret.metadata.labels?["app.kubernetes.io/managed-by"] == "vzauth")
            #expect(Self.text(secret.caCertificatePEM) == Self.text(Data(authority.certificatePEM.utf8)))
            let cluster = try #require(try admin.cluster())
            #expect(cluster.spec.caSecret == "ca-secret-managed1")
            #expect(cluster.status.apiUrl == url)
            // The API proxy can use it.
            let directory = ClusterDirectory(
                clusters: [cluster], secrets: [ClusterCASecret(name: secret.name, caCertificatePEM: authority.certificatePEM)])
            let name = try #require(ClusterName("managed1"))
            #expect(throws: Never.self) { try directory.endpoint(for: name) }

            // Again: only reads, and it says so.
            admin.server.clearRequests()
            let again = try await admin.register(["managed1", "--api-url", url, "--ca-file", authority.certificateFile.path])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(admin.writes.isEmpty, "\(admin.writes)")
            #expect(again.stdout.contains("secret verrazzano-mc/ca-secret-managed1 unchanged"), "\(again.stdout)")
            #expect(again.stdout.contains("verrazzanomanagedcluster verrazzano-mc/managed1 unchanged"), "\(again.stdout)")
            #expect(again.stdout.contains("Nothing changed"), "\(again.stdout)")

            // A new URL: only status.
            admin.server.clearRequests()
            let moved = try await admin.register(["managed1", "--api-url", "https://moved.example.com:9443/", "--ca-file",
                                                  authority.certificateFile.path])
            #expect(moved.status == 0, "\(moved.stderr)")
            #expect(moved.stdout.contains("updated (status.apiUrl \(url) -> https://moved.example.com:9443)"), "\(moved.stdout)")
            #expect(try admin.cluster()?.status.apiUrl == "https://moved.example.com:9443")
            #expect(admin.server.requests.filter { $0.method != "GET" }.map(\.uri).allSatisfy { $0.contains("/managed1/status?") },
                    "\(admin.server.requests.map(\.uri))")

            // A new CA: only the Secret.
            admin.server.clearRequests()
            let newCA = try await admin.register(["managed1", "--api-url", "https://moved.example.com:9443", "--ca-file",
                                                  other.certificateFile.path])
            #expect(newCA.status == 0, "\(newCA.stderr)")
            #expect(newCA.stdout.contains("secret verrazzano-mc/ca-secret-managed1 updated"), "\(newCA.stdout)")
            #expect(newCA.stdout.contains("verrazzanomanagedcluster verrazzano-mc/managed1 unchanged"), "\(newCA.stdout)")
            #expect(Self.text(try admin.secret()?.caCertificatePEM) == Self.text(Data(other.certificatePEM.utf8)))
            #expect(admin.writes == ["PATCH"])

            // No CA: spec.caSecret removed, the Secret vzauth made deleted.
            let noCA = try await admin.register(["managed1", "--api-url", "https://moved.example.com:9443"])
            #expect(noCA.status == 0, "\(noCA.stderr)")
            #expect(noCA.stdout.contains("verrazzanomanagedcluster verrazzano-mc/managed1 updated (spec.caSecret removed"), "\(noCA.stdout)")
            #expect(noCA.stdout.contains("secret verrazzano-mc/ca-secret-managed1 deleted"), "\(noCA.stdout)")
            #expect(try admin.secret() == nil)
            #expect(try admin.cluster()?.spec.caSecret == nil)
            #expect(try admin.cluster()?.status.apiUrl == "https://moved.example.com:9443")
            let noCAAgain = try await admin.register(["managed1", "--api-url", "https://moved.example.com:9443"])
            #expect(noCAAgain.stdout.contains("Nothing changed"), "\(noCAAgain.stdout)")
        }
    }

    @Test("invalid inputs exit 64 with one line per problem naming the flag, before any request")
    func invalidInputs() async throws {
        let authority = try TestCertificateAuthority()
        defer { authority.removeFiles() }
        let server = try authority.makeServerCertificate()
        let keyAndCertificate = authority.directory.appendingPathComponent("both.pem")
        try Data((authority.certificatePEM + server.privateKeyPEM).utf8).write(to: keyAndCertificate)
        try await Admin.with { admin in
            admin.server.clearRequests()
            let cases: [([String], String)] = [
                (["Managed1", "--api-url", "https://m.example.com"], "NAME \"Managed1\" is not a cluster name"),
                (["managed1", "--api-url", "http://m.example.com"], "--api-url \"http://m.example.com\" is not https"),
                (["managed1", "--api-url", "https://m.example.com/?a=b"], "must not have a query"),
                (["managed1", "--api-url", "https://m.example.com", "--ca-file", "/nonexistent/ca.pem"],
                 "--ca-file /nonexistent/ca.pem cannot be read (no such file)"),
                (["managed1", "--api-url", "https://m.example.com", "--ca-file", keyAndCertificate.path], "it contains a private key"),
                (["managed1", "--api-url", "https://m.example.com", "--managed-cluster-namespace", "No_Such"],
                 "--managed-cluster-namespace \"No_Such\" is not a namespace name"),
            ]
            for (arguments, message) in cases {
                let result = try await admin.register(arguments)
                #expect(result.status == 64, "\(arguments): \(result.stderr)")
                #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            }
            let noKubeconfig = try await run(BinaryLifecycleTests.binary, [
                "cluster", "register", "managed1", "--api-url", "https://m.example.com", "--kubeconfig", "/nonexistent/kubeconfig",
            ])
            #expect(noKubeconfig.status == 64, "\(noKubeconfig.stderr)")
            #expect(noKubeconfig.stderr.contains("--kubeconfig: cannot read /nonexistent/kubeconfig: no such file; fix the file or pass another --kubeconfig"),
                    "\(noKubeconfig.stderr)")
            #expect(admin.server.requests.isEmpty, "nothing is sent for invalid input")
        }
    }

    @Test("API failures: a missing permission, a missing CRD, a missing namespace")
    func apiFailures() async throws {
        try await Admin.with(configure: { configuration in
            configuration.authorization = .custom { $0.subresource != "status" }
        }) { admin in
            let result = try await admin.register(["managed1", "--api-url", "https://m.example.com"])
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.contains(
                "forbids the kubeconfig's user to patch verrazzanomanagedclusters/status verrazzano-mc/managed1"), "\(result.stderr)")
            #expect(result.stderr.contains("it needs patch verrazzanomanagedclusters/status (API group clusters.verrazzano.io) in namespace verrazzano-mc"),
                    "\(result.stderr)")
            #expect(result.stderr.contains(admin.server.baseURL), "names the server: \(result.stderr)")
            #expect(result.stderr.contains("(the 1 write(s) before it were made; run the command again once this is fixed)"),
                    "\(result.stderr)")

            let noNamespace = try await admin.register(["managed1", "--api-url", "https://m.example.com",
                                                        "--managed-cluster-namespace", "elsewhere"])
            #expect(noNamespace.status == 1)
            #expect(noNamespace.stderr.contains("namespace elsewhere does not exist on \(admin.server.baseURL)"), "\(noNamespace.stderr)")
        }
        // A server-side apply that creates an object needs create, as on kube-apiserver.
        try await Admin.with(configure: { configuration in
            configuration.authorization = .custom { $0.verb != "create" }
        }) { admin in
            let result = try await admin.register(["managed1", "--api-url", "https://m.example.com"])
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.contains("forbids the kubeconfig's user to create verrazzanomanagedclusters verrazzano-mc/managed1"),
                    "\(result.stderr)")
            #expect(result.stderr.contains("it needs create verrazzanomanagedclusters (API group clusters.verrazzano.io)"), "\(result.stderr)")
        }
        try await Admin.with(withCRD: false) { admin in
            let result = try await admin.register(["managed1", "--api-url", "https://m.example.com"])
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.contains("the VerrazzanoManagedCluster CRD is not installed"), "\(result.stderr)")
            #expect(result.stderr.contains("kubectl apply -f deploy/crds/verrazzanomanagedclusters.clusters.verrazzano.io.yaml"),
                    "\(result.stderr)")
        }
    }

    @Test("the admin API proxy routes /clusters/NAME to a cluster registered by the command")
    func registeredClusterIsRouted() async throws {
        let issuer = OIDCIssuerDouble()
        try await issuer.start()
        defer { Task { try? await issuer.shutdown() } }
        try await ProxyHarness.with(extraArguments: ["--shutdown-grace-period", "1"], issuer: issuer) { managed in
            try managed.apiServer.upsert(["metadata": ["name": "only-on-managed1"], "data": ["k": "v"]] as [String: [String: String]],
                                         resource: "configmaps", namespace: "default")
            try await ProxyHarness.with(extraArguments: ["--managed-clusters", "--shutdown-grace-period", "1"], issuer: issuer,
                                        configureAPIServer: { $0.additionalResources = [.verrazzanoManagedCluster] }) { admin in
                try admin.apiServer.upsert(["metadata": ["name": Self.namespace]] as [String: [String: String]], resource: "namespaces")
                let directory = admin.directory.appendingPathComponent("register")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let kubeconfig = try admin.apiServer.writeKubeconfig(in: directory, certificateAuthorityFile: admin.authority.certificateFile)
                let registered = try await run(BinaryLifecycleTests.binary, [
                    "cluster", "register", "managed1", "--api-url", managed.proxyURL,
                    "--ca-file", managed.authority.certificateFile.path, "--kubeconfig", kubeconfig.path,
                ])
                #expect(registered.status == 0, "\(registered.stdout)\(registered.stderr)")

                let alice = issuer.mint(claims: issuer.minter.keycloakClaims(groups: ["team-a"]))
                let config = try admin.kubeconfig(token: alice, name: "alice-managed1", serverPath: "/clusters/managed1")
                // The watcher sees the registration shortly after it was written.
                var result = try await kubectl(config, "get", "configmaps", "-n", "default", "-o", "name")
                for _ in 0..<50 where result.status != 0 || !result.stdout.contains("only-on-managed1") {
                    try await Task.sleep(for: .milliseconds(100))
                    result = try await kubectl(config, "get", "configmaps", "-n", "default", "-o", "name")
                }
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout.contains("configmap/only-on-managed1"), "the managed cluster answered: \(result.stdout)")
            }
        }
    }
}
