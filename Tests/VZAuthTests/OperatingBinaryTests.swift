import DevelopmentCertificates
import NIOHTTP1
import Foundation
import Testing
import VZAuthTestSupport

/// The binary as an operator meets it: JSON logs, and one-line start-up errors that name the thing and the fix.
@Suite("vzauth binary: operating it", .serialized)
struct OperatingBinaryTests {
    /// What the messages must never show: build paths and library internals.
    private func expectClean(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for leak in [".swift:", "/Sources/", "IOError", "NIOCore", "NIOPosix", "errnoCode", "Fatal error"] {
            #expect(!text.contains(leak), "\(leak) in: \(text)", sourceLocation: sourceLocation)
        }
    }

    @Test("--log-format json: every line on standard error is a JSON object with time, level and msg; no tokens")
    func jsonLogs() async throws {
        let apiServer = try await KubeAPIEmulator.start()
        let issuer = OIDCIssuerDouble()
        try await issuer.start()
        defer { Task { try? await apiServer.shutdown(); try? await issuer.shutdown() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-json-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let kubeconfig = try apiServer.writeKubeconfig(in: directory)

        let process = try ChildProcess(BinaryLifecycleTests.binary, [
            "api-proxy", "--listen", "127.0.0.1:0", "--management-listen", "127.0.0.1:0",
            "--oidc-issuer", issuer.issuer, "--oidc-client-id", "verrazzano-pkce",
            "--kubeconfig", kubeconfig.path, "--log-format", "json", "--log-level", "debug",
            "--shutdown-grace-period", "1",
        ], separateErrors: true)
        defer { if process.isRunning { process.terminate() } }

        func port(of listener: String) -> Int? {
            for line in process.errorText.split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      object["msg"] as? String == "listening", object["listener"] as? String == listener,
                      let address = object["address"] as? String,
                      let colon = address.range(of: #":\d+"#, options: .regularExpression) else { continue }
                return Int(address[colon].dropFirst())
            }
            return nil
        }
        let deadline = ContinuousClock.now + .seconds(15)
        while (port(of: "api") == nil || port(of: "management") == nil) && process.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let apiPort = try #require(port(of: "api"), "\(process.errorText)")
        let managementPort = try #require(port(of: "management"), "\(process.errorText)")
        for _ in 0..<100 where try await BinaryLifecycleTests.get("http://127.0.0.1:\(managementPort)/readyz").0 != .ok {
            try await Task.sleep(for: .milliseconds(50))
        }
        let token = issuer.mint()
        _ = try await BinaryLifecycleTests.get("http://127.0.0.1:\(apiPort)/api/v1/namespaces", token: token)
        _ = try await BinaryLifecycleTests.get("http://127.0.0.1:\(apiPort)/api/v1/namespaces", token: "not-a-token")
        kill(process.processIdentifier, SIGTERM)
        let exitDeadline = ContinuousClock.now + .seconds(10)
        while process.isRunning, ContinuousClock.now < exitDeadline { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .milliseconds(100))

        let lines = process.errorText.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count >= 4, "\(process.errorText)")
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            guard let object else { continue }
            let time = object["time"] as? String ?? ""
            #expect(time.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression) != nil, "\(line)")
            #expect(["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(object["level"] as? String ?? ""), "\(line)")
            #expect(object["msg"] is String, "\(line)")
        }
        #expect(lines.contains { $0.contains(#""status":"200""#) || $0.contains(#""status":200"#) || $0.contains("\"user\"") },
                "the access log is there: \(process.errorText)")
        #expect(!process.errorText.contains(token), "tokens never reach the logs")
    }

    /// The common flags of an API proxy that would start (until it binds).
    private func apiProxyArguments(_ directory: URL) throws -> [String] {
        let kubeconfig = directory.appendingPathComponent("kubeconfig")
        try """
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]
            users: [{name: u, user: {token: t}}]
            contexts: [{name: c, context: {cluster: c, user: u}}]
            current-context: c
            """.write(to: kubeconfig, atomically: true, encoding: .utf8)
        return ["--oidc-issuer", "http://127.0.0.1:1/realms/x", "--oidc-client-id", "c", "--kubeconfig", kubeconfig.path]
    }

    private func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-ops-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("a port in use names the listener, the address and the flag to change")
    func portInUse() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let occupant = try await TCPEchoServer.start()
        let base = try apiProxyArguments(directory)
        let api = try await run(BinaryLifecycleTests.binary, ["api-proxy", "--listen", "127.0.0.1:\(occupant.port)",
                                                             "--management-listen", "127.0.0.1:0"] + base)
        #expect(api.status != 0)
        #expect(api.stderr.contains("api listener: 127.0.0.1:\(occupant.port) is already in use; choose another with --listen"),
                "\(api.stderr)")
        #expect(api.stderr.contains("vzauth api-proxy --help"), "\(api.stderr)")
        expectClean(api.stderr)
        let management = try await run(BinaryLifecycleTests.binary, ["api-proxy", "--listen", "127.0.0.1:0",
                                                                    "--management-listen", "127.0.0.1:\(occupant.port)"] + base)
        #expect(management.stderr.contains(
            "management listener: 127.0.0.1:\(occupant.port) is already in use; choose another with --management-listen"),
            "\(management.stderr)")
        expectClean(management.stderr)
        try await occupant.shutdown()
    }

    @Test("both listeners on one port is refused before binding (exit 64); --listen :PORT means every address")
    func samePort() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await run(BinaryLifecycleTests.binary, ["api-proxy", "--listen", ":8775",
                                                                "--management-listen", "0.0.0.0:8775"] + apiProxyArguments(directory))
        #expect(result.status == 64)
        #expect(result.stderr.contains("--listen and --management-listen both use port 8775; give each its own port"), "\(result.stderr)")
        #expect(!result.stderr.contains("must be HOST:PORT"), ":8775 is accepted")
        #expect(result.stderr.contains("vzauth api-proxy --help"))
    }

    @Test("a missing file names the flag and the path (exit 64)")
    func missingFile() async throws {
        let result = try await run(BinaryLifecycleTests.binary, ["api-proxy", "--oidc-issuer", "https://kc.example.com/realms/x",
                                                                "--oidc-client-id", "c", "--kubeconfig", "/nonexistent/kubeconfig",
                                                                "--tls-cert-file", "/nonexistent/tls.crt",
                                                                "--tls-private-key-file", "/nonexistent/tls.key"])
        #expect(result.status == 64)
        for expected in ["--kubeconfig /nonexistent/kubeconfig: no such file", "--tls-cert-file /nonexistent/tls.crt: no such file",
                         "--tls-private-key-file /nonexistent/tls.key: no such file"] {
            #expect(result.stderr.contains(expected), "\(result.stderr)")
        }
        expectClean(result.stderr)
    }

    @Test("without --kubeconfig, a kubeconfig that cannot be used names where it was found ($KUBECONFIG) and the fix (exit 64)")
    func implicitKubeconfig() async throws {
        let proxy = ["api-proxy", "--oidc-issuer", "https://kc.example.com/realms/x", "--oidc-client-id", "c"]
        for command in [proxy, ["rbac-controller"]] {
            let missing = try await run(BinaryLifecycleTests.binary, command,
                                        environment: ["KUBECONFIG": "/nonexistent/kubeconfig", "HOME": "/nonexistent"])
            #expect(missing.status == 64, "\(command[0]): \(missing.stderr)")
            #expect(missing.stderr.contains(
                "$KUBECONFIG: cannot read /nonexistent/kubeconfig: no such file; fix $KUBECONFIG, or pass --kubeconfig PATH"),
                    "\(missing.stderr)")
            #expect(missing.stderr.contains("vzauth \(command[0]) --help"))
            expectClean(missing.stderr)

            let nothing = try await run(BinaryLifecycleTests.binary, command, environment: ["HOME": "/nonexistent"])
            #expect(nothing.status == 64)
            #expect(nothing.stderr.contains("no kubeconfig: not in a pod (KUBERNETES_SERVICE_HOST is not set), $KUBECONFIG is not set and ~/.kube/config does not exist; pass --kubeconfig PATH"),
                    "\(nothing.stderr)")
        }
    }

    @Test("certificates, keys and CA bundles are read at start: a file without PEM, or a key of another certificate, is named (exit 64)")
    func pemFiles() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let garbage = directory.appendingPathComponent("garbage.pem")
        try "not a certificate\n".write(to: garbage, atomically: true, encoding: .utf8)
        let first = try DevelopmentCertificateAuthority(commonName: "first")
        let second = try DevelopmentCertificateAuthority(commonName: "second")
        let served = try first.issueServerCertificate()
        let other = try second.issueServerCertificate()
        let cert = directory.appendingPathComponent("tls.crt"), key = directory.appendingPathComponent("other.key")
        try served.certificatePEM.write(to: cert, atomically: true, encoding: .utf8)
        try other.privateKeyPEM.write(to: key, atomically: true, encoding: .utf8)
        let base = try apiProxyArguments(directory)

        let result = try await run(BinaryLifecycleTests.binary, ["api-proxy"] + base + [
            "--tls-cert-file", garbage.path, "--tls-private-key-file", key.path, "--oidc-ca-file", garbage.path])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--tls-cert-file \(garbage.path): no PEM certificate in it"), "\(result.stderr)")
        #expect(result.stderr.contains("--oidc-ca-file \(garbage.path): no PEM certificate in it"), "\(result.stderr)")
        let mismatch = try await run(BinaryLifecycleTests.binary, ["api-proxy"] + base + [
            "--tls-cert-file", cert.path, "--tls-private-key-file", key.path])
        #expect(mismatch.status == 64)
        #expect(mismatch.stderr.contains("--tls-private-key-file \(key.path) is not the key of the certificate in --tls-cert-file \(cert.path)"),
                "\(mismatch.stderr)")
        let notKey = try await run(BinaryLifecycleTests.binary, ["api-proxy"] + base + [
            "--tls-cert-file", cert.path, "--tls-private-key-file", garbage.path])
        #expect(notKey.stderr.contains("--tls-private-key-file \(garbage.path): no PEM private key in it"), "\(notKey.stderr)")
        for output in [result.stderr, mismatch.stderr, notKey.stderr] {
            expectClean(output)
            #expect(!output.contains("Fatal error"))
        }
    }

    @Test("a listen address that is not a host of this machine names the listener and the flag")
    func unknownListenHost() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await run(BinaryLifecycleTests.binary, ["api-proxy", "--listen", "no-such-host.invalid:8775",
                                                                "--management-listen", "127.0.0.1:0"] + apiProxyArguments(directory))
        #expect(result.status != 0)
        #expect(result.stderr.contains("api listener: no-such-host.invalid:8775 is not an address of this machine; choose one with --listen"),
                "\(result.stderr)")
        expectClean(result.stderr)
        #expect(!result.stderr.contains("SocketAddressError"))
    }

    @Test("a kubeconfig that is not YAML is named with the line and column, in one line")
    func kubeconfigSyntax() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let kubeconfig = directory.appendingPathComponent("kubeconfig")
        try "clusters: [1\n".write(to: kubeconfig, atomically: true, encoding: .utf8)
        let result = try await run(BinaryLifecycleTests.binary, ["rbac-controller", "--kubeconfig", kubeconfig.path])
        #expect(result.status == 64)
        let first = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first == "Error: --kubeconfig: \(kubeconfig.path) is not a valid kubeconfig: line 2, column 1: while parsing a flow sequence (line 1, column 11) did not find expected ',' or ']'; fix the file or pass another --kubeconfig",
                "\(result.stderr)")
        #expect(!result.stderr.contains("DecodingError"))
    }

    @Test("a short cookie secret names the file and exits 64")
    func shortCookieSecret() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let secret = directory.appendingPathComponent("cookie-secret")
        try "too short\n".write(to: secret, atomically: true, encoding: .utf8)
        let result = try await run(BinaryLifecycleTests.binary, ["oidc-proxy", "--oidc-issuer", "https://kc.example.com/realms/x",
                                                                "--upstream", "http://127.0.0.1:3000",
                                                                "--public-url", "https://console.example.com",
                                                                "--cookie-secret-file", secret.path])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--cookie-secret-file \(secret.path) holds 9 bytes; a cookie secret needs 32 or more"),
                "\(result.stderr)")
        #expect(result.stderr.contains("vzauth oidc-proxy --help"))
    }

    @Test("a mistyped flag suggests the nearest one and points at the subcommand's --help")
    func mistypedFlag() async throws {
        let result = try await run(BinaryLifecycleTests.binary, ["api-proxy", "--lisen", "127.0.0.1:8775"])
        #expect(result.status == 64)
        #expect(result.stderr.lowercased().contains("did you mean '--listen'?"), "\(result.stderr)")
        #expect(result.stderr.lowercased().components(separatedBy: "did you mean").count == 2, "one suggestion: \(result.stderr)")
        #expect(result.stderr.contains("vzauth api-proxy --help"), "\(result.stderr)")
        let controller = try await run(BinaryLifecycleTests.binary, ["rbac-controller", "--kubeconfg", "x"])
        #expect(controller.status == 64)
        #expect(controller.stderr.lowercased().contains("did you mean '--kubeconfig'?"), "\(controller.stderr)")
        let unrelated = try await run(BinaryLifecycleTests.binary, ["api-proxy", "--frobnicate-everything"])
        #expect(unrelated.status == 64)
        #expect(!unrelated.stderr.lowercased().contains("did you mean"), "no suggestion when nothing is near: \(unrelated.stderr)")
    }
}
