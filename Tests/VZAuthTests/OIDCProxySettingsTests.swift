import ArgumentParser
import Foundation
import OIDCProxy
import ProxyCore
import Testing
@testable import vzauth

@Suite("oidc-proxy settings")
struct OIDCProxySettingsTests {
    private static let issuer = "https://kc.example.com/auth/realms/verrazzano-system"

    private static let secretFile: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-secret-\(UUID().uuidString)").path
        try? String(repeating: "s", count: 48).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }()

    private func resolve(_ arguments: [String]) throws -> OIDCProxySettings {
        try OIDCProxySettings.resolve(try OIDCProxyOptions.parse(arguments))
    }

    private func problems(_ arguments: [String]) -> [String] {
        settingsProblems { try resolve(arguments) }
    }

    @Test("a cookie secret shorter than 32 bytes names the file (a trailing newline does not count)")
    func shortCookieSecret() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-short-\(UUID().uuidString)").path
        try (String(repeating: "x", count: 31) + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let found = problems(["--oidc-issuer", Self.issuer, "--upstream", "http://127.0.0.1:3000",
                              "--public-url", "https://grafana.example.com", "--cookie-secret-file", Self.secretFile,
                              "--cookie-secret-file", path])
        #expect(found == ["--cookie-secret-file \(path) holds 31 bytes; a cookie secret needs 32 or more "
            + "(make one with: openssl rand -base64 48 > \(path))"])
    }

    @Test("client secret files and scopes: read from flags or the file; scopes must include openid and be tokens")
    func secretsAndScopes() throws {
        let base = ["--oidc-issuer", Self.issuer, "--upstream", "http://127.0.0.1:3000",
                    "--public-url", "https://grafana.example.com", "--cookie-secret-file", Self.secretFile]
        let defaults = try resolve(base)
        #expect(defaults.loginClientSecretFile == nil && defaults.passwordClientSecretFile == nil && defaults.scopes == nil)
        let set = try resolve(base + ["--oidc-client-secret-file", Self.secretFile, "--oidc-password-client-secret-file",
                                      Self.secretFile, "--oidc-scope", "openid groups", "--oidc-scope", "email"])
        #expect(set.loginClientSecretFile == Self.secretFile && set.passwordClientSecretFile == Self.secretFile)
        #expect(set.scopes == ["openid", "groups", "email"])
        let found = problems(base + ["--oidc-password-client-secret-file", "/nonexistent/pg", "--oidc-scope", "profile",
                                     "--oidc-scope", "bad\"scope"])
        #expect(found.contains("--oidc-password-client-secret-file /nonexistent/pg: no such file"))
        #expect(found.contains { $0.contains("--oidc-scope must include openid") })
        #expect(found.contains { $0.contains("--oidc-scope values are scope tokens") })
    }

    @Test("sidecar defaults: Verrazzano's clients, preferred_username, every path may log in")
    func sidecarDefaults() throws {
        let settings = try resolve(["--oidc-issuer", Self.issuer, "--upstream", "http://127.0.0.1:3000",
                                    "--public-url", "https://grafana.example.com", "--cookie-secret-file", Self.secretFile])
        #expect(settings.loginClientID == "verrazzano-pkce")
        #expect(settings.passwordClientID == "verrazzano-pg")
        #expect(settings.oidc.usernameClaim == "preferred_username")
        #expect(settings.oidc.rolesClaim == "realm_access.roles")
        #expect(settings.server.listen == ListenerConfiguration(host: "0.0.0.0", port: 8775, maximumConnections: ServerSettings.defaultMaximumConnections()))
        #expect(settings.routes.count == 1)
        #expect(settings.routes[0].host == nil)
        #expect(settings.routes[0].loginPaths.isEmpty)
        #expect(settings.publicBaseURL(for: settings.routes[0]) == "https://grafana.example.com")
        #expect(settings.sessionMaxLifetime == 36_000)
    }

    @Test("shared mode: routes by host with per-route login paths; redirect URIs per host")
    func sharedRoutes() throws {
        let settings = try resolve([
            "--oidc-issuer", Self.issuer, "--cookie-secret-file", Self.secretFile, "--public-url", "https://unused.example.com",
            "--route", "Grafana.example.com=http://grafana:3000", "--route", "osd.example.com=http://osd:5601/osd",
            "--login-path", "osd.example.com=/", "--login-path", "osd.example.com=/app/*",
        ])
        #expect(settings.routes.map(\.host) == ["grafana.example.com", "osd.example.com"])
        #expect(settings.routes[1].loginPaths.map(\.description) == ["/", "/app/*"])
        #expect(settings.routes[0].loginPaths.isEmpty)
        #expect(settings.publicBaseURL(for: settings.routes[1]) == "https://osd.example.com")
    }

    @Test("every problem is reported at once")
    func allProblems() {
        let found = problems(["--route", "noequals", "--route", "bad host=http://x", "--login-path", "app",
                              "--login-path", "other.example.com=/", "--cookie-secret-file", "/nonexistent",
                              "--session-max-lifetime", "5"])
        #expect(found.contains { $0.contains("--oidc-issuer is required") })
        #expect(found.contains { $0.contains("--route must be HOST=URL") })
        #expect(found.contains { $0.contains("is not a host name") })
        #expect(found.contains { $0.contains("--login-path") && $0.contains("must start with /") })
        #expect(found.contains { $0.contains("no --route for other.example.com") })
        #expect(found.contains { $0.hasPrefix("--cookie-secret-file ") && $0.hasSuffix(": no such file") })
        #expect(found.contains { $0.contains("--session-max-lifetime") })
        #expect(found.contains { $0.contains("--upstream URL (sidecar) or --route") })
    }

    @Test("the sidecar upstream needs --public-url; secrets are required")
    func requiredSettings() {
        let found = problems(["--oidc-issuer", Self.issuer, "--upstream", "http://127.0.0.1:3000"])
        #expect(found.contains { $0.contains("--public-url is required") })
        #expect(found.contains { $0.contains("--cookie-secret-file is required") })
    }

    @Test("the config file supplies settings; flags win")
    func configFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-\(UUID().uuidString).yaml").path
        try """
            oidc-issuer: \(Self.issuer)
            route: ["grafana.example.com=http://grafana:3000"]
            login-path: ["grafana.example.com=/"]
            cookie-secret-file: \(Self.secretFile)
            oidc-client-id: console
            required-role: vz_api_access
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let settings = try resolve(["--config", path, "--oidc-client-id", "from-flag"])
        #expect(settings.loginClientID == "from-flag")
        #expect(settings.oidc.requiredRole == "vz_api_access")
        #expect(settings.routes.first?.loginPaths.map(\.description) == ["/"])
    }

    @Test("vzauth oidc-proxy --help names the exact flags")
    func help() {
        let help = VZAuth.helpMessage(for: OIDCProxyCommand.self)
        for flag in ["--listen", "--management-listen", "--tls-cert-file", "--tls-private-key-file", "--oidc-issuer",
                     "--oidc-discovery-url", "--oidc-client-id", "--oidc-password-client-id", "--oidc-ca-file", "--clock-skew",
                     "--username-claim", "--groups-claim", "--roles-claim", "--required-role", "--upstream", "--route",
                     "--public-url", "--cookie-secret-file", "--config"] {
            #expect(help.contains(flag), "missing \(flag)")
        }
    }
}
