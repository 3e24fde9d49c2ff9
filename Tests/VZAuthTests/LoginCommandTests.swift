import Foundation
import Testing
import VZAuthTestSupport

/// The built `vzauth login` (and `vzauth kubeconfig`) run as kubectl runs them, against the OIDC issuer double.
@Suite("vzauth login, the kubectl credential plugin", .serialized)
struct LoginCommandTests {
    /// alice's `sub`.
    static let aliceSubject = "6d1c8f2e-0a4b-4c1e-9f3a-2b7d5e8c1a90"

    /// An issuer double with alice (password grant allowed on both Verrazzano clients), a folder for the cache and
    /// files, and the command lines of the tests.
    struct Fixture {
        let issuer: OIDCIssuerDouble
        let directory: URL

        var cacheDirectory: String { directory.appendingPathComponent("cache/vzauth").path }
        var passwordFile: String { directory.appendingPathComponent("alice.password").path }

        /// `vzauth login` with the password grant as alice.
        var passwordLogin: [String] {
            ["login", "--issuer", issuer.issuer, "--client-id", "verrazzano-pg", "--grant", "password", "--username", "alice",
             "--password-file", passwordFile, "--cache-dir", cacheDirectory]
        }

        /// The cache files.
        func cacheFiles() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: cacheDirectory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        }

        /// Runs the binary to its end.
        func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> LoginProcess.Result {
            let process = try LoginProcess(arguments, environment: environment.merging(["HOME": directory.path]) { first, _ in first })
            return try await process.finish()
        }

        static func with(_ body: (Fixture) async throws -> Void) async throws {
            let issuer = OIDCIssuerDouble()
            try await issuer.start()
            issuer.setAllowedClients(["verrazzano-pkce", "verrazzano-pg"])
            issuer.addUser(.init(username: "alice", subject: LoginCommandTests.aliceSubject, groups: ["verrazzano-admins"], password: "wonderland"))
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-login-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try "wonderland\n".write(toFile: directory.appendingPathComponent("alice.password").path, atomically: true, encoding: .utf8)
            let outcome = await Result { try await body(Fixture(issuer: issuer, directory: directory)) }
            try? FileManager.default.removeItem(at: directory)
            try await issuer.shutdown()
            try outcome.get()
        }
    }

    /// The ExecCredential printed on stdout, checked for its shape; its token and expiry.
    static func credential(_ result: LoginProcess.Result) throws -> (token: String, expiry: String) {
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1, "only the ExecCredential on stdout: \(result.stdout)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["apiVersion"] as? String == "client.authentication.k8s.io/v1")
        #expect(object["kind"] as? String == "ExecCredential")
        let status = try #require(object["status"] as? [String: Any])
        let token = try #require(status["token"] as? String)
        let expiry = try #require(status["expirationTimestamp"] as? String)
        #expect(!result.stderr.contains(token), "no token on stderr")
        return (token, expiry)
    }

    /// A JWT's claims (not verified).
    static func claims(_ token: String) -> [String: Any] {
        let parts = token.split(separator: ".")
        guard parts.count == 3 else { return [:] }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
    }

    @Test("password grant: an ExecCredential with alice's access token and its exp; the cache file is 0600; a second run comes from the cache")
    func passwordGrantAndCache() async throws {
        try await Fixture.with { fixture in
            let first = try Self.credential(try await fixture.run(fixture.passwordLogin))
            let claims = Self.claims(first.token)
            #expect(claims["preferred_username"] as? String == "alice")
            #expect(claims["azp"] as? String == "verrazzano-pg")
            let exp = try #require(claims["exp"] as? Double)
            let formatter = ISO8601DateFormatter()
            #expect(formatter.date(from: first.expiry) == Date(timeIntervalSince1970: exp))
            #expect(fixture.issuer.passwordGrantCount == 1)
            let files = fixture.cacheFiles()
            #expect(files.count == 1)
            let attributes = try FileManager.default.attributesOfItem(atPath: fixture.cacheDirectory + "/" + files[0])
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let directoryAttributes = try FileManager.default.attributesOfItem(atPath: fixture.cacheDirectory)
            #expect((directoryAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)

            let requests = fixture.issuer.tokenRequestCount
            let second = try Self.credential(try await fixture.run(fixture.passwordLogin))
            #expect(second.token == first.token)
            #expect(fixture.issuer.tokenRequestCount == requests, "served from the cache")
        }
    }

    @Test("kubectl commands run in parallel log in once: the second waits for the first's lock and finds its tokens")
    func parallelRuns() async throws {
        try await Fixture.with { fixture in
            fixture.issuer.setTokenEndpointBehaviour(.delay(.milliseconds(500)))
            let environment = ["HOME": fixture.directory.path]
            let processes = try (0..<3).map { _ in try LoginProcess(fixture.passwordLogin, environment: environment) }
            var tokens: Set<String> = []
            for process in processes {
                tokens.insert(try Self.credential(try await process.finish()).token)
            }
            #expect(tokens.count == 1)
            #expect(fixture.issuer.passwordGrantCount == 1)
        }
    }

    @Test("a token near its expiry is refreshed; a refused refresh logs in again; --logout clears the cache")
    func refreshReloginLogout() async throws {
        try await Fixture.with { fixture in
            // Access tokens that live 20 s are within the 30 s skew at once: every run wants a fresh one.
            fixture.issuer.setTokenLifetimes(access: 20)
            let first = try Self.credential(try await fixture.run(fixture.passwordLogin))
            let refreshed = try Self.credential(try await fixture.run(fixture.passwordLogin))
            #expect(refreshed.token != first.token)
            #expect(fixture.issuer.refreshCount == 1)
            #expect(fixture.issuer.passwordGrantCount == 1)

            fixture.issuer.revokeRefreshTokens(of: "alice")
            let result = try await fixture.run(fixture.passwordLogin)
            _ = try Self.credential(result)
            #expect(fixture.issuer.refreshCount == 2)
            #expect(fixture.issuer.passwordGrantCount == 2, "logged in again")
            #expect(result.stderr.contains("logging in again"))

            let logout = try await fixture.run(fixture.passwordLogin + ["--logout"])
            #expect(logout.status == 0, "\(logout.stderr)")
            #expect(logout.stdout.isEmpty)
            #expect(fixture.cacheFiles().isEmpty)
            _ = try Self.credential(try await fixture.run(fixture.passwordLogin))
            #expect(fixture.issuer.passwordGrantCount == 3)
        }
    }

    @Test("errors are one line naming the problem and the fix (and the pointer at --help), nothing on stdout, exit 1")
    func errors() async throws {
        try await Fixture.with { fixture in
            try "not-her-password".write(toFile: fixture.passwordFile, atomically: true, encoding: .utf8)
            let wrong = try await fixture.run(fixture.passwordLogin)
            #expect(wrong.status == 1)
            #expect(wrong.stdout.isEmpty)
            #expect(wrong.stderr.contains("--password-file"), "\(wrong.stderr)")
            // One line naming the problem and the fix, then the pointer every vzauth error ends with.
            let lines = wrong.stderr.split(separator: "\n")
            #expect(lines.count == 2, "\(wrong.stderr)")
            #expect(lines.last == "See 'vzauth login --help' for more information.", "\(wrong.stderr)")
            #expect(!wrong.stderr.contains("not-her-password"))

            let missing = try await fixture.run(["login", "--issuer", fixture.issuer.issuer, "--grant", "password", "--username", "alice",
                                                 "--cache-dir", fixture.cacheDirectory],
                                                environment: ["KUBERNETES_EXEC_INFO": #"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}"#])
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("--password-file"), "\(missing.stderr)")

            let unreachable = try await fixture.run(["login", "--issuer", "http://127.0.0.1:1/realms/x", "--grant", "password",
                                                     "--username", "alice", "--password-file", fixture.passwordFile,
                                                     "--cache-dir", fixture.cacheDirectory])
            #expect(unreachable.status == 1)
            #expect(unreachable.stderr.contains("--issuer"), "\(unreachable.stderr)")
        }
    }

    @Test("browser flow driven by a script: the printed URL, the issuer's login form, the loopback callback, an ExecCredential")
    func browserFlow() async throws {
        try await Fixture.with { fixture in
            let process = try LoginProcess(["login", "--issuer", fixture.issuer.issuer, "--no-browser", "--cache-dir", fixture.cacheDirectory,
                                            "--login-timeout", "30"], environment: ["HOME": fixture.directory.path])
            let url = try await process.waitForLine { $0.hasPrefix(fixture.issuer.issuer + "/protocol/openid-connect/auth?") }
            #expect(url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"))
            #expect(url.contains("code_challenge_method=S256"))
            let browser = BrowserClient()
            let page = try await browser.follow(url).final
            #expect(page.status == 200)
            #expect(page.text.contains("kc-form-login"))
            let submitted = try await browser.send(
                method: "POST", url: url, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: Array("username=alice&password=wonderland".utf8))
            let callback = try #require(submitted.location)
            #expect(callback.hasPrefix("http://127.0.0.1:"))
            let done = try await browser.get(callback)
            #expect(done.status == 200)
            #expect(done.text.contains("logged in"))
            let result = try await process.finish()
            let credential = try Self.credential(result)
            #expect(Self.claims(credential.token)["preferred_username"] as? String == "alice")
            #expect(Self.claims(credential.token)["azp"] as? String == "verrazzano-pkce")
            #expect(fixture.issuer.codeExchangeCount == 1)
            #expect(fixture.cacheFiles().count == 1)
        }
    }

    @Test("device flow: the user code and URL on stderr, approval on the issuer's page, polling until the tokens come")
    func deviceFlow() async throws {
        try await Fixture.with { fixture in
            fixture.issuer.setDeviceGrant(interval: 1)
            let process = try LoginProcess(["login", "--issuer", fixture.issuer.issuer, "--grant", "device", "--cache-dir", fixture.cacheDirectory,
                                            "--login-timeout", "60"], environment: ["HOME": fixture.directory.path])
            let line = try await process.waitForLine { $0.hasPrefix("vzauth: or open ") }
            let complete = String(line.dropFirst("vzauth: or open ".count))
            #expect(complete.hasPrefix(fixture.issuer.issuer + "/device?user_code="))
            let userCode = String(complete.split(separator: "=").last ?? "")
            #expect(process.stderr.contains("enter the code \(userCode)"))
            let browser = BrowserClient()
            let form = try await browser.get(complete)
            #expect(form.status == 200)
            #expect(form.text.contains("kc-form-login"))
            let approved = try await browser.send(
                method: "POST", url: fixture.issuer.issuer + "/device", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: Array("user_code=\(userCode)&username=alice&password=wonderland".utf8))
            #expect(approved.status == 200)
            #expect(approved.text.contains("Device Login Successful"))
            let credential = try Self.credential(try await process.finish())
            #expect(Self.claims(credential.token)["preferred_username"] as? String == "alice")
            #expect(fixture.issuer.deviceAuthorizationCount == 1)
            #expect(fixture.issuer.devicePollCount >= 1)
        }
    }

    @Test("device flow denied at the issuer: an error, exit 1")
    func deviceFlowDenied() async throws {
        try await Fixture.with { fixture in
            fixture.issuer.setDeviceGrant(interval: 1)
            let process = try LoginProcess(["login", "--issuer", fixture.issuer.issuer, "--grant", "device", "--cache-dir", fixture.cacheDirectory],
                                           environment: ["HOME": fixture.directory.path])
            let line = try await process.waitForLine { $0.hasPrefix("vzauth: or open ") }
            let userCode = String(line.split(separator: "=").last ?? "")
            let denied = try await BrowserClient().send(
                method: "POST", url: fixture.issuer.issuer + "/device", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: Array("user_code=\(userCode)&cancel=Cancel".utf8))
            #expect(denied.status == 200)
            let result = try await process.finish()
            #expect(result.status == 1)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("denied"), "\(result.stderr)")
        }
    }

    @Test("kubectl itself, with a kubeconfig made by vzauth kubeconfig: get pods and auth whoami as alice through the API proxy")
    func kubectlWithKubeconfig() async throws {
        try await Fixture.with { fixture in
            try await ProxyHarness.with(issuer: fixture.issuer) { harness in
                let made = try await fixture.run([
                    "kubeconfig", "--server", harness.proxyURL, "--certificate-authority", harness.authority.certificateFile.path,
                    "--cluster", "sandbox", "--namespace", "default",
                ] + fixture.passwordLogin.dropFirst())
                #expect(made.status == 0, "\(made.stderr)")
                #expect(made.stdout.contains("interactiveMode: IfAvailable"))
                #expect(made.stdout.contains(BinaryLifecycleTests.binary))
                let path = fixture.directory.appendingPathComponent("sandbox.kubeconfig").path
                try made.stdout.write(toFile: path, atomically: true, encoding: .utf8)
                let pods = try await kubectl(path, "get", "pods")
                #expect(pods.status == 0, "\(pods.stderr)")
                let whoami = try await kubectl(path, "auth", "whoami", "-o", "json")
                #expect(whoami.status == 0, "\(whoami.stderr)")
                #expect(whoami.stdout.contains(LoginCommandTests.aliceSubject), "\(whoami.stdout)")
                #expect(fixture.issuer.passwordGrantCount == 1, "kubectl's second run of the plugin used the cache")
            }
        }
    }

    @Test("vzauth kubeconfig --merge adds to $KUBECONFIG's first file, keeps other entries, replaces same-named ones")
    func kubeconfigMerge() async throws {
        try await Fixture.with { fixture in
            let path = fixture.directory.appendingPathComponent("config").path
            try """
                apiVersion: v1
                kind: Config
                clusters:
                - name: other
                  cluster:
                    server: https://other.example.com
                    insecure-skip-tls-verify: true
                users:
                - name: other-admin
                  user:
                    token: kept
                contexts:
                - name: other
                  context:
                    cluster: other
                    user: other-admin
                current-context: other
                preferences: {}

                """.write(toFile: path, atomically: true, encoding: .utf8)
            let arguments = ["kubeconfig", "--server", "https://api-proxy.example.com", "--cluster", "vz", "--merge", "--command", "vzauth",
                             "--issuer", fixture.issuer.issuer, "--listen-port", "8000"]
            for _ in 0..<2 {
                let merged = try await fixture.run(arguments, environment: ["KUBECONFIG": path + ":/nonexistent/second"])
                #expect(merged.status == 0, "\(merged.stderr)")
                #expect(merged.stdout.isEmpty)
            }
            let view = try await kubectl(path, "config", "view", "--raw", "-o",
                                         "jsonpath={.clusters[*].name} {.users[*].name} {.contexts[*].name} {.current-context} {.users[0].user.token} {.users[1].user.exec.command} {.users[1].user.exec.args}")
            #expect(view.status == 0, "\(view.stderr)")
            #expect(view.stdout == #"other vz other-admin vz-oidc other vz other kept vzauth ["login","--issuer","\#(fixture.issuer.issuer)","--listen-port","8000"]"#, "\(view.stdout)")
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        }
    }

    @Test("device flow with the grant disabled on the client: an error saying to enable it or use another grant")
    func deviceFlowDisabled() async throws {
        try await Fixture.with { fixture in
            fixture.issuer.setDeviceGrantEnabled(false)
            let result = try await fixture.run(["login", "--issuer", fixture.issuer.issuer, "--grant", "device", "--cache-dir", fixture.cacheDirectory])
            #expect(result.status == 1)
            #expect(result.stderr.contains("--grant"), "\(result.stderr)")
        }
    }
}

/// The `vzauth` binary running, with stdout and stderr collected apart (stderr readable while it runs).
final class LoginProcess: Sendable {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    private let process: ChildProcess

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        var merged = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        merged["KUBERNETES_EXEC_INFO"] = environment["KUBERNETES_EXEC_INFO"]
        process = try ChildProcess(BinaryLifecycleTests.binary, arguments, environment: merged, separateErrors: true)
    }

    var stderr: String { process.errorText }

    /// Waits (at most `timeout`) for a stderr line that satisfies `condition`.
    func waitForLine(timeout: Duration = .seconds(20), _ condition: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = stderr.split(separator: "\n").map(String.init).first(where: condition) {
                return line
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw BinaryLifecycleTests.TestFailure("no such line on stderr: \(stderr)")
    }

    /// Waits (at most `timeout`) for the end, then returns what it wrote.
    func finish(timeout: Duration = .seconds(60)) async throws -> Result {
        let status = await process.waitForExit(timeout: timeout)
        return Result(status: status, stdout: process.text, stderr: process.errorText)
    }
}
