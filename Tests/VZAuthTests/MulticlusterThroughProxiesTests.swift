import Foundation
import Multicluster
import Testing
import VZAuthTestSupport

/// kubectl talks only to the admin cluster's API proxy; a request for `managed1` goes, with the user's own token, to
/// the managed cluster's API proxy, which checks it again and impersonates the user on its own API server.
@Suite("Multicluster: kubectl through the admin cluster's API proxy to a managed cluster's")
struct MulticlusterThroughProxiesTests {
    static let mallory = "0a7c1e55-dead-4bad-9bad-000000000001"

    @Test("get, get -w, exec and logs -f through both hops with --server .../clusters/NAME, console-style cluster=NAME; forbidden, unknown and untrusted refused")
    func twoHops() async throws {
        let issuer = OIDCIssuerDouble()
        try await issuer.start()
        let echo = try await TCPEchoServer.start()
        defer { Task { try? await issuer.shutdown(); try? await echo.shutdown() } }
        // The managed cluster's proxy has an issuer of its own (--oidc-issuer) and accepts the admin cluster's too,
        // listed in its --config, as a managed cluster is set up.
        let acceptAdminIssuer = try writeConfigFile("""
            issuers:
            - issuer: \(issuer.issuer)
              client-id: [verrazzano-pkce, verrazzano-pg]
            """)
        try await ProxyHarness.with(extraArguments: ["--shutdown-grace-period", "1", "--config", acceptAdminIssuer],
                                    configureAPIServer: { configuration in
            let target = echo.port
            configuration.portForwardTarget = { $0.port == 8080 ? target : nil }
        }) { managed in
            try managed.apiServer.upsert(["metadata": ["name": "only-on-managed1"], "data": ["k": "v"]] as [String: [String: String]],
                                         resource: "configmaps", namespace: "default")
            try await ProxyHarness.with(extraArguments: ["--managed-clusters", "--shutdown-grace-period", "1"], issuer: issuer,
                                        configureAPIServer: { configuration in
                configuration.additionalResources = [.verrazzanoManagedCluster]
                // Only the proxy's own identity and alice may use managed1; mallory may not get the VMC.
                configuration.authorization = .custom { request in
                    !(request.user.name == Self.mallory && request.resource == "verrazzanomanagedclusters")
                }
            }) { admin in
                let namespace = VerrazzanoManagedCluster.defaultNamespace
                try admin.apiServer.upsert(["metadata": ["name": namespace]] as [String: [String: String]], resource: "namespaces")
                try admin.apiServer.upsert(
                    ["metadata": ["name": "managed1-ca"], "data": ["cacrt": Data(managed.authority.certificatePEM.utf8).base64EncodedString()]]
                        as [String: [String: String]], resource: "secrets", namespace: namespace)
                try admin.apiServer.upsert(VerrazzanoManagedCluster(name: "managed1", caSecret: "managed1-ca", apiUrl: managed.proxyURL),
                                           resource: "verrazzanomanagedclusters", group: VerrazzanoManagedCluster.group,
                                           namespace: namespace)
                // A registration whose CA is not the managed proxy's: never trusted.
                try admin.apiServer.upsert(VerrazzanoManagedCluster(name: "impostor", apiUrl: managed.proxyURL),
                                           resource: "verrazzanomanagedclusters", group: VerrazzanoManagedCluster.group,
                                           namespace: namespace)

                let alice = issuer.mint(claims: issuer.minter.keycloakClaims(groups: ["team-a"]))
                let config = try admin.kubeconfig(token: alice, name: "alice-managed1", serverPath: "/clusters/managed1")
                // The watcher lists the registrations right after start: retry until it has.
                var result = try await kubectl(config, "get", "configmaps", "-n", "default", "-o", "name")
                for _ in 0..<50 where result.status != 0 {
                    try await Task.sleep(for: .milliseconds(100))
                    result = try await kubectl(config, "get", "configmaps", "-n", "default", "-o", "name")
                }
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout.contains("configmap/only-on-managed1"), "the managed cluster answered: \(result.stdout)")

                // What the managed API server saw: its own proxy's credential impersonating alice.
                let seen = try #require(managed.apiServer.requests.last { $0.uri.hasPrefix("/api/v1/namespaces/default/configmaps") })
                func values(_ name: String) -> [String] {
                    seen.headers.filter { $0.name.lowercased() == name }.map(\.value)
                }
                #expect(values("impersonate-user") == ["8f0e6c1e-3b7a-4d4f-9b1a-5c2d7e9f0a11"], "alice's sub")
                #expect(values("impersonate-group").contains("team-a"))
                #expect(!values("authorization").contains("Bearer \(alice)"), "the user's token stops at the managed proxy")
                // What the admin API server saw: never a request for the managed cluster's configmaps.
                #expect(!admin.apiServer.requests.contains { $0.uri.contains("/configmaps") })

                // Streams through both hops: a watch, exec (a protocol switch on each hop) and logs -f.
                #expect(try await kubectl(config, "apply", "-f", "-", stdin: KubectlThroughProxyTests.manifest).status == 0)
                let watch = try BackgroundCommand("/usr/bin/kubectl", ["--kubeconfig", config, "get", "configmaps", "-n", "default",
                                                                       "-w", "--output-watch-events"])
                defer { watch.stop() }
                #expect(await watch.waitFor { $0.contains("settings") }, "\(watch.text)")
                try managed.apiServer.upsert(["metadata": ["name": "later"], "data": ["a": "b"]] as [String: [String: String]],
                                             resource: "configmaps", namespace: "default")
                #expect(await watch.waitFor { $0.contains("later") }, "the watch delivers through both hops: \(watch.text)")
                let exec = try await kubectl(config, "exec", "web-0", "--", "echo", "hello", "managed1")
                #expect(exec.status == 0, "\(exec.stderr)")
                #expect(exec.stdout.contains("hello managed1"), "\(exec.stdout) \(exec.stderr)")
                managed.apiServer.appendLog(pod: "web-0", line: "first line")
                let logs = try BackgroundCommand("/usr/bin/kubectl", ["--kubeconfig", config, "logs", "-f", "web-0", "-n", "default"])
                defer { logs.stop() }
                #expect(await logs.waitFor { $0.contains("first line") }, "\(logs.text)")
                managed.apiServer.appendLog(pod: "web-0", line: "second line")
                #expect(await logs.waitFor { $0.contains("second line") }, "followed logs arrive through both hops: \(logs.text)")

                // port-forward: a TCP stream relayed by both proxies.
                let forward = try BackgroundCommand("/usr/bin/kubectl", ["--kubeconfig", config, "port-forward", "pod/web-0", ":8080"])
                defer { forward.stop() }
                #expect(await forward.waitFor { $0.contains("Forwarding from 127.0.0.1:") }, "\(forward.text)")
                let forwarded = forward.text
                let portStart = try #require(forwarded.range(of: "Forwarding from 127.0.0.1:")).upperBound
                let localPort = try #require(Int(forwarded[portStart...].prefix { $0.isNumber }))
                let payload = Array("hello through two proxies, ".utf8) + Array(repeating: UInt8(ascii: "x"), count: 50_000)
                #expect(try await TCPEchoServer.exchange(port: localPort, sending: payload) == payload)

                // Console style, through the same admin proxy.
                let console = try admin.kubeconfig(token: alice, name: "alice-admin")
                let raw = try await kubectl(console, "get", "--raw", "/20210501/api/v1/namespaces/default/configmaps?cluster=managed1")
                #expect(raw.status == 0, "\(raw.stderr)")
                #expect(raw.stdout.contains("only-on-managed1"))

                // Refusals, as kubectl shows them.
                // A token of the managed cluster's own issuer, which the admin proxy does not accept: 401 there.
                let managedOwn = managed.issuer.mint(claims: managed.issuer.minter.keycloakClaims())
                let foreign = try await kubectl(try admin.kubeconfig(token: managedOwn, name: "managed-own", serverPath: "/clusters/managed1"),
                                                "get", "configmaps", "-n", "default")
                #expect(foreign.status != 0)
                #expect(foreign.stderr.contains("You must be logged in to the server"), "\(foreign.stderr)")
                let malloryToken = issuer.mint(claims: issuer.minter.keycloakClaims(subject: Self.mallory, username: "mallory"))
                let forbidden = try await kubectl(try admin.kubeconfig(token: malloryToken, name: "mallory", serverPath: "/clusters/managed1"),
                                                  "get", "configmaps", "-n", "default")
                #expect(forbidden.status != 0)
                #expect(forbidden.stderr.contains("Forbidden") || forbidden.stderr.contains("forbidden"), "\(forbidden.stderr)")
                let unknown = try await kubectl(console, "get", "--raw", "/clusters/nowhere/api/v1/namespaces/default/configmaps")
                #expect(unknown.status != 0)
                #expect(unknown.stderr.contains("NotFound") && unknown.stderr.contains("nowhere"), "\(unknown.stderr)")
                // Same address as managed1, whose connection is pooled: a registration trusting other roots must not
                // borrow it.
                let untrusted = try await kubectl(console, "get", "--raw", "/clusters/impostor/api/v1/namespaces/default/configmaps")
                #expect(untrusted.status != 0)
                #expect(untrusted.stderr.contains("not trusted"), "\(untrusted.stderr)")
            }
        }
    }
}
