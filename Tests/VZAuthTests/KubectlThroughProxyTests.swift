import Foundation
import Testing
import VZAuthTestSupport
@testable import vzauth

@Suite("kubectl through the API proxy", .serialized)
struct KubectlThroughProxyTests {
    @Test("get, auth whoami and impersonation headers")
    func getAndWhoami() async throws {
        try await ProxyHarness.with { harness in
            let token = harness.issuer.mint(claims: harness.issuer.minter.keycloakClaims(groups: ["verrazzano-admins", "team-a"]))
            let config = try harness.kubeconfig(token: token)
            let get = try await kubectl(config, "get", "configmaps", "-n", "default")
            #expect(get.status == 0, "\(get.stderr)")
            let whoami = try await kubectl(config, "auth", "whoami", "-o", "json")
            #expect(whoami.status == 0, "\(whoami.stderr)")
            #expect(whoami.stdout.contains("8f0e6c1e-3b7a-4d4f-9b1a-5c2d7e9f0a11"), "\(whoami.stdout)")
            let received = try #require(harness.apiServer.requests.last)
            let headers = received.headers
            #expect(headers.filter { $0.name.lowercased() == "impersonate-user" }.map(\.value) == ["8f0e6c1e-3b7a-4d4f-9b1a-5c2d7e9f0a11"])
            #expect(headers.filter { $0.name.lowercased() == "impersonate-group" }.map(\.value) == ["verrazzano-admins", "team-a", "system:authenticated"])
            #expect(headers.filter { $0.name.lowercased() == "authorization" }.map(\.value) == ["Bearer test-token"])
        }
    }

    @Test("a Connection header naming impersonation or credentials is refused, over TLS, before anything is forwarded")
    func connectionCannotRemoveImpersonation() async throws {
        try await ProxyHarness.with { harness in
            let token = harness.issuer.mint(claims: harness.issuer.minter.keycloakClaims(groups: ["team-a"]))
            for (connection, status) in [("keep-alive, Impersonate-User, Impersonate-Group", "403"), ("Authorization", "400")] {
                let result = try await run("/usr/bin/curl", [
                    "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", harness.authority.certificateFile.path,
                    "-H", "Authorization: Bearer \(token)", "-H", "Connection: \(connection)",
                    harness.proxyURL + "/api/v1/namespaces/default/configmaps",
                ])
                #expect(result.stdout == status, "\(connection): \(result.stderr)")
            }
            #expect(harness.apiServer.requests.isEmpty)
        }
    }
}

extension KubectlThroughProxyTests {
    static let manifest = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
          namespace: default
        data:
          color: blue
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: web-0
          namespace: default
        spec:
          containers:
          - name: web
            image: nginx
        """

    @Test("apply creates objects through the proxy; get -w shows changes as they happen")
    func applyAndWatch() async throws {
        try await ProxyHarness.with { harness in
            let config = try harness.kubeconfig(token: harness.issuer.mint())
            let apply = try await kubectl(config, "apply", "-f", "-", stdin: Self.manifest)
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(apply.stdout.contains("configmap/settings created"), "\(apply.stdout)")
            #expect(harness.apiServer.object(resource: "configmaps", namespace: "default", name: "settings") != nil)

            let watch = try BackgroundCommand("/usr/bin/kubectl", ["--kubeconfig", config, "get", "configmaps", "-n", "default", "-w", "--output-watch-events"])
            defer { watch.stop() }
            #expect(await watch.waitFor { $0.contains("settings") }, "\(watch.text)")
            let later = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: later\n  namespace: default\ndata:\n  a: b\n"
            let changed = try await kubectl(config, "apply", "-f", "-", stdin: later)
            #expect(changed.status == 0, "\(changed.stderr)")
            #expect(await watch.waitFor { $0.contains("later") }, "the watch must deliver the new object while open: \(watch.text)")
            #expect(watch.isRunning)
        }
    }

    @Test("exec and logs -f work through the proxy")
    func execAndLogs() async throws {
        try await ProxyHarness.with { harness in
            let config = try harness.kubeconfig(token: harness.issuer.mint())
            #expect(try await kubectl(config, "apply", "-f", "-", stdin: Self.manifest).status == 0)
            let exec = try await kubectl(config, "exec", "web-0", "--", "echo", "hello", "through", "proxy")
            #expect(exec.status == 0, "\(exec.stderr)")
            #expect(exec.stdout.contains("hello through proxy"), "\(exec.stdout) \(exec.stderr)")
            let upgrade = try #require(harness.apiServer.requests.last { $0.path.hasSuffix("/exec") })
            #expect(upgrade.headers.contains { $0.name.lowercased() == "impersonate-user" })

            harness.apiServer.appendLog(pod: "web-0", line: "first line")
            let logs = try BackgroundCommand("/usr/bin/kubectl", ["--kubeconfig", config, "logs", "-f", "web-0"])
            defer { logs.stop() }
            #expect(await logs.waitFor { $0.contains("first line") }, "\(logs.text)")
            harness.apiServer.appendLog(pod: "web-0", line: "second line")
            #expect(await logs.waitFor { $0.contains("second line") }, "followed logs arrive as written: \(logs.text)")
        }
    }

    @Test("with --allow-user-impersonation, kubectl --as works for a user the API server lets impersonate, and only then")
    func allowedImpersonation() async throws {
        let alice = "8f0e6c1e-3b7a-4d4f-9b1a-5c2d7e9f0a11"
        try await ProxyHarness.with(extraArguments: ["--allow-user-impersonation"], configureAPIServer: { configuration in
            // alice may impersonate carol (and no one else); carol may read configmaps.
            configuration.authorization = .custom { request in
                if request.verb == "impersonate", request.user.name == alice {
                    return request.resource == "users" && request.name == "carol"
                }
                return true
            }
        }) { harness in
            let config = try harness.kubeconfig(token: harness.issuer.mint())
            let result = try await kubectl(config, "get", "configmaps", "-n", "default", "--as", "carol")
            #expect(result.status == 0, "\(result.stderr)")
            let seen = try #require(harness.apiServer.requests.last { $0.uri.hasPrefix("/api/v1/namespaces/default/configmaps") })
            func values(_ name: String) -> [String] { seen.headers.filter { $0.name.lowercased() == name }.map(\.value) }
            #expect(values("impersonate-user") == ["carol"])
            #expect(values("impersonate-extra-original-user") == [alice])
            let refused = try await kubectl(config, "get", "configmaps", "-n", "default", "--as", "dave")
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("Forbidden") || refused.stderr.contains("forbidden"), "\(refused.stderr)")
            #expect(!harness.apiServer.requests.contains { $0.headers.contains { $0.name.lowercased() == "impersonate-user" && $0.value == "dave" } })
        }
    }

    @Test("kubectl --as is refused and never reaches the API server")
    func clientImpersonationRefused() async throws {
        try await ProxyHarness.with { harness in
            let config = try harness.kubeconfig(token: harness.issuer.mint())
            let result = try await kubectl(config, "get", "pods", "--as", "system:admin", "--as-group", "system:masters")
            #expect(result.status != 0)
            #expect(result.stderr.contains("Forbidden") || result.stderr.contains("forbidden"), "\(result.stderr)")
            #expect(!harness.apiServer.requests.contains { request in
                request.headers.contains { $0.value == "system:admin" || $0.value == "system:masters" }
            })
        }
    }

    @Test("bad and expired tokens are refused with 401")
    func badTokens() async throws {
        try await ProxyHarness.with { harness in
            let expired = harness.issuer.mint(claims: harness.issuer.minter.keycloakClaims(now: Date().addingTimeInterval(-3600)))
            for token in [expired, "not-a-jwt", TokenMinter.tamperedSignature(harness.issuer.mint())] {
                let result = try await kubectl(harness.kubeconfig(token: token), "get", "pods")
                #expect(result.status != 0)
                // kubectl's rendering of a 401 Status.
                #expect(result.stderr.contains("must be logged in") || result.stderr.contains("Unauthorized"), "\(result.stderr)")
                #expect(!result.stderr.contains(token), "the token must not be echoed")
            }
            #expect(harness.apiServer.requests.isEmpty, "nothing reaches the API server without a valid token")
        }
    }

    @Test("tokens with names the API server would see changed (white space at an end) are refused with 401")
    func unsendableNames() async throws {
        try await ProxyHarness.with { harness in
            let minter = harness.issuer.minter
            let tokens = [
                minter.mint(claims: minter.keycloakClaims(subject: " system:admin")),
                minter.mint(claims: minter.keycloakClaims(groups: [" system:masters"])),
                minter.mint(claims: minter.keycloakClaims(groups: ["verrazzano-admins", "system:masters\u{3000}"])),
                minter.mint(claims: minter.keycloakClaims(subject: "dave\u{A0}")),
            ]
            for token in tokens {
                let result = try await kubectl(harness.kubeconfig(token: token), "get", "pods")
                #expect(result.status != 0)
                #expect(result.stderr.contains("must be logged in") || result.stderr.contains("Unauthorized"), "\(result.stderr)")
            }
            #expect(harness.apiServer.requests.isEmpty, "no request with a changed name reaches the API server")
        }
    }
}

extension KubectlThroughProxyTests {
    @Test("port-forward relays a TCP connection through the proxy", arguments: [
        [:], ["KUBECTL_PORT_FORWARD_WEBSOCKETS": "false"],
    ])
    func portForward(_ environment: [String: String]) async throws {
        let echo = try await TCPEchoServer.start()
        try await ProxyHarness.with(configureAPIServer: { configuration in
            let target = echo.port
            configuration.portForwardTarget = { $0.port == 8080 ? target : nil }
        }) { harness in
            try harness.apiServer.upsert(["metadata": ["name": "web"]], resource: "pods", namespace: "default")
            let config = try harness.kubeconfig(token: harness.issuer.mint())
            let forward = try BackgroundCommand("/usr/bin/kubectl", ["--kubeconfig", config, "port-forward", "pod/web", ":8080"],
                                                environment: environment)
            defer { forward.stop() }
            #expect(await forward.waitFor { $0.contains("Forwarding from 127.0.0.1:") }, "\(forward.text)")
            let text = forward.text
            let start = try #require(text.range(of: "Forwarding from 127.0.0.1:")).upperBound
            let localPort = try #require(Int(text[start...].prefix { $0.isNumber }))
            let payload = Array("hello through the proxy, ".utf8) + Array(repeating: UInt8(ascii: "x"), count: 50_000)
            let reply = try await TCPEchoServer.exchange(port: localPort, sending: payload)
            #expect(reply == payload)
            let upgrade = try #require(harness.apiServer.requests.last { $0.path.hasSuffix("/portforward") })
            #expect(upgrade.headers.contains { $0.name.lowercased() == "impersonate-user" })
        }
        try await echo.shutdown()
    }
}
