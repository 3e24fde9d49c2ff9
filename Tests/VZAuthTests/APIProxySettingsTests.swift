import APIProxy
import ArgumentParser
import Foundation
import NIOCore
import OIDC
import ProxyCore
import Testing
@testable import vzauth

@Suite("api-proxy settings")
struct APIProxySettingsTests {
    private func resolve(_ arguments: [String]) throws -> APIProxySettings {
        try APIProxySettings.resolve(try APIProxyOptions.parse(arguments))
    }

    private func problems(_ arguments: [String]) -> [String] {
        settingsProblems { try resolve(arguments) }
    }

    @Test("both listeners on one port is a problem before binding; :PORT is every address")
    func listenersOnOnePort() throws {
        let base = ["--oidc-issuer", "https://kc.example.com/realms/x", "--oidc-client-id", "c"]
        #expect(problems(base + ["--listen", ":9000", "--management-listen", "127.0.0.1:9000"])
            == ["--listen and --management-listen both use port 9000; give each its own port"])
        #expect(problems(base + ["--listen", "127.0.0.1:9000", "--management-listen", "127.0.0.2:9000"]).isEmpty,
                "two addresses may share a port number")
        #expect(problems(base + ["--listen", "127.0.0.1:0", "--management-listen", "127.0.0.1:0"]).isEmpty, "0 picks a free port")
        let settings = try resolve(base + ["--listen", ":8775"])
        #expect(settings.listen.host == "0.0.0.0" && settings.listen.port == 8775)
    }

    @Test("a missing file names its flag and path")
    func missingFiles() {
        let found = problems(["--oidc-issuer", "https://kc.example.com/realms/x", "--oidc-client-id", "c",
                              "--kubeconfig", "/nonexistent/kc", "--oidc-ca-file", "/nonexistent/ca.crt",
                              "--tls-cert-file", "/nonexistent/tls.crt", "--tls-private-key-file", "/tmp"])
        #expect(found.contains("--kubeconfig /nonexistent/kc: no such file"), "\(found)")
        #expect(found.contains("--oidc-ca-file /nonexistent/ca.crt: no such file"), "\(found)")
        #expect(found.contains("--tls-cert-file /nonexistent/tls.crt: no such file"), "\(found)")
        #expect(found.contains("--tls-private-key-file /tmp: is a folder, not a file"), "\(found)")
    }

    @Test("defaults match the documentation")
    func defaults() throws {
        let settings = try resolve(["--oidc-issuer", "https://kc.example.com/auth/realms/verrazzano-system", "--oidc-client-id", "verrazzano-pkce"])
        #expect(settings.listen == ListenerConfiguration(host: "0.0.0.0", port: 8775, maximumConnections: ServerSettings.defaultMaximumConnections()))
        #expect(settings.management == ListenerConfiguration(host: "0.0.0.0", port: 8776))
        #expect(settings.clockSkew == 30)
        #expect(settings.usernameClaim == "sub")
        #expect(settings.groupsClaim == "groups")
        #expect(settings.rolesClaim == "realm_access.roles")
        #expect(settings.requiredRole == nil)
        #expect(settings.allowSystemIdentities == false)
        #expect(settings.proxy.apiPathPrefix == "/20210501")
        #expect(settings.kubeconfig == nil)
        #expect(settings.shutdownGracePeriod == .seconds(20))
        #expect(settings.server.timeouts == ForwardingTimeouts(idle: .seconds(120), requestHead: .seconds(30), responseHead: .seconds(60)))
    }

    @Test("timeouts: flags or config keys, in seconds, between 1 s and a day")
    func responseHeaderTimeout() throws {
        let required = ["--oidc-issuer", "https://kc.example.com/auth/realms/x", "--oidc-client-id", "c"]
        #expect(try resolve(required + ["--upstream-response-header-timeout", "2.5"]).server.timeouts.responseHead == .milliseconds(2_500))
        let path = try writeConfigFile("upstream-response-header-timeout: 90")
        #expect(try resolve(required + ["--config", path]).server.timeouts.responseHead == .seconds(90))
        #expect(problems(required + ["--upstream-response-header-timeout", "0"]).contains {
            $0.contains("--upstream-response-header-timeout must be between 1 and 86400 seconds")
        })
        let set = try resolve(required + ["--request-header-timeout", "5", "--idle-timeout", "75"]).server.timeouts
        #expect(set.requestHead == .seconds(5) && set.idle == .seconds(75))
        let found = problems(required + ["--request-header-timeout=0", "--idle-timeout=100000"])
        #expect(found.contains { $0.contains("--request-header-timeout must be between 1 and 86400 seconds") })
        #expect(found.contains { $0.contains("--idle-timeout must be between 1 and 86400 seconds") })
    }

    @Test("--oidc-audience (repeatable) and --groups-claim-delimiter reach the token policy and the claim mapping")
    func audiencesAndDelimiter() throws {
        let required = ["--oidc-issuer", "https://kc.example.com/auth/realms/x", "--oidc-client-id", "c"]
        let settings = try resolve(required + ["--oidc-audience", "api://vzauth", "--oidc-audience", "https://k8s.example.com",
                                               "--groups-claim-delimiter", ","])
        #expect(settings.oidc.tokenPolicy(clientIDs: ["c"]).acceptedAudiences == ["api://vzauth", "https://k8s.example.com"])
        #expect(settings.oidc.claimMapping.groupsDelimiter == ",")
        #expect(try resolve(required).oidc.claimMapping.groupsDelimiter == nil)
        let path = try writeConfigFile("oidc-audience: [api://a]\ngroups-claim-delimiter: ';'")
        let fromFile = try resolve(required + ["--config", path])
        #expect(fromFile.oidc.tokenPolicy(clientIDs: ["c"]).acceptedAudiences == ["api://a"])
        #expect(fromFile.oidc.claimMapping.groupsDelimiter == ";")
        #expect(problems(required + ["--groups-claim-delimiter", ""]).contains { $0.contains("--groups-claim-delimiter must not be empty") })
    }

    @Test("--max-connections: a flag or a config key; by default half the open-file limit, at least 64")
    func maxConnections() throws {
        let required = ["--oidc-issuer", "https://kc.example.com/auth/realms/x", "--oidc-client-id", "c"]
        #expect(try resolve(required).listen.maximumConnections == ServerSettings.defaultMaximumConnections())
        #expect(ServerSettings.defaultMaximumConnections() >= 64)
        #expect(try resolve(required + ["--max-connections", "500"]).listen.maximumConnections == 500)
        #expect(problems(required + ["--max-connections=0"]).contains { $0.contains("--max-connections must be between 1 and 10000000") })
    }

    @Test("every problem is reported at once")
    func allProblems() {
        let found = problems(["--listen", "nowhere", "--clock-skew=-5", "--api-path-prefix", "v1/", "--cors-allowed-origin", "*",
                              "--tls-cert-file", "/nonexistent.crt", "--log-level", "loud", "--username-claim", "a..b"])
        #expect(found.contains { $0.contains("--oidc-issuer is required") })
        #expect(found.contains { $0.contains("--oidc-client-id") })
        #expect(found.contains { $0.contains("--listen") })
        #expect(found.contains { $0.contains("--clock-skew") })
        #expect(found.contains { $0.contains("--api-path-prefix") })
        #expect(found.contains { $0.contains("--cors-allowed-origin") })
        #expect(found.contains { $0.contains("--tls-cert-file and --tls-private-key-file go together") })
        #expect(found.contains { $0.contains("--log-level") })
        #expect(found.contains { $0.contains("--username-claim") })
        #expect(found.count >= 9)
    }

    @Test("the config file supplies settings; flags win; lists for repeatable flags")
    func configFile() throws {
        let path = try writeConfigFile("""
            oidc-issuer: https://kc.example.com/auth/realms/verrazzano-system
            oidc-client-id: [verrazzano-pkce, verrazzano-pg]
            required-role: vz_api_access
            clock-skew: 10
            listen: 127.0.0.1:9000
            cors-allowed-origin: https://console.example.com
            insecure-allow-system-identities: true
            """)
        let fromFile = try resolve(["--config", path])
        #expect(fromFile.clientIDs == ["verrazzano-pkce", "verrazzano-pg"])
        #expect(fromFile.requiredRole == "vz_api_access")
        #expect(fromFile.clockSkew == 10)
        #expect(fromFile.listen.port == 9000)
        #expect(fromFile.allowSystemIdentities)
        #expect(fromFile.proxy.cors.allowedOrigins == ["https://console.example.com"])
        let overridden = try resolve(["--config", path, "--listen", "127.0.0.1:9001", "--oidc-client-id", "other", "--clock-skew", "0"])
        #expect(overridden.listen.port == 9001)
        #expect(overridden.clientIDs == ["other"])
        #expect(overridden.clockSkew == 0)
    }

    @Test("unknown keys and wrong types in the config file are reported with the file name")
    func configProblems() throws {
        let path = try writeConfigFile("oidc-issuer: https://kc.example.com\noidc-client-id: x\noidc-isuer: typo\nclock-skew: soon\n")
        let found = problems(["--config", path])
        #expect(found.contains { $0.contains(path) && $0.contains("unknown setting oidc-isuer") })
        #expect(found.contains { $0.contains("clock-skew must be a number") })
        let notMapping = try writeConfigFile("- a\n- b\n")
        #expect(problems(["--config", notMapping, "--oidc-issuer", "https://x", "--oidc-client-id", "c"]).contains { $0.contains("YAML mapping") })
        #expect(problems(["--config", "/nonexistent/vzauth.yaml"]).contains("--config /nonexistent/vzauth.yaml: no such file"))
        // A number no Int holds is out of range, not a crash.
        for huge in ["1e300", ".nan", "-1e300"] {
            let file = try writeConfigFile("oidc-issuer: https://kc.example.com\noidc-client-id: x\nevent-loop-threads: \(huge)\n")
            #expect(problems(["--config", file]) == ["--event-loop-threads must be between 1 and 256"], "\(huge)")
        }
    }

    @Test("listen addresses parse IPv4, IPv6 and host names", arguments: [
        ("0.0.0.0:8775", "0.0.0.0", 8775), ("[::1]:443", "::1", 443), ("localhost:0", "localhost", 0),
        (":8775", "0.0.0.0", 8775),
    ])
    func addresses(_ text: String, _ host: String, _ port: Int) throws {
        let parsed = try #require(ListenerConfiguration.parseAddress(text))
        #expect(parsed.host == host && parsed.port == port)
    }

    @Test("bad listen addresses are refused", arguments: ["8775", "[]:8775", ":+80", "host:", "host:70000", "::1:80", "[::1]80", "a:b"])
    func badAddresses(_ text: String) {
        #expect(ListenerConfiguration.parseAddress(text) == nil)
    }

    @Test("help and version parse")
    func helpAndVersion() throws {
        let help = VZAuth.helpMessage(for: APIProxyCommand.self)
        for flag in ["--listen", "--management-listen", "--tls-cert-file", "--tls-private-key-file", "--oidc-issuer",
                     "--oidc-discovery-url", "--oidc-client-id", "--oidc-ca-file", "--clock-skew", "--username-claim",
                     "--groups-claim", "--required-role", "--roles-claim", "--kubeconfig", "--api-path-prefix",
                     "--cors-allowed-origin", "--public-origin", "--config"] {
            #expect(help.contains(flag), "help must mention \(flag)")
        }
        #expect(throws: (any Error).self) { try VZAuth.parseAsRoot(["--version"]) }
        _ = try VZAuth.parseAsRoot(["version"])
    }
}

@Suite("api-proxy settings: several issuers")
struct APIProxyIssuersSettingsTests {
    private func resolve(_ arguments: [String]) throws -> APIProxySettings {
        try APIProxySettings.resolve(try APIProxyOptions.parse(arguments))
    }

    private func problems(_ arguments: [String]) -> [String] {
        settingsProblems { try resolve(arguments) }
    }

    static let listed = """
        issuers:
        - issuer: https://admin.example.com/auth/realms/verrazzano-system
          client-id: [verrazzano-pkce, verrazzano-pg]
          required-role: vz_api_access
        - issuer: https://ci.example.com
          client-id: ci
          audience: api://vzauth
          username-claim: preferred_username
          groups-claim-delimiter: ","
        """

    @Test("issuers: in --config is enough; each entry has its own clients, audiences and role, and the flags' claims as defaults")
    func listOnly() throws {
        let settings = try resolve(["--config", try writeConfigFile(Self.listed), "--groups-claim", "teams", "--clock-skew", "10"])
        #expect(settings.issuers.map(\.settings.issuer) == ["https://admin.example.com/auth/realms/verrazzano-system", "https://ci.example.com"])
        let (admin, ci) = (settings.issuers[0], settings.issuers[1])
        #expect(admin.tokenPolicy.allowedClientIDs == ["verrazzano-pkce", "verrazzano-pg"])
        #expect(admin.settings.claimMapping.requiredRole == "vz_api_access")
        #expect(admin.settings.claimMapping.usernameClaim == "sub", "the API proxy's default")
        #expect(admin.settings.claimMapping.groupsClaim == "teams", "the flag is every entry's default")
        #expect(ci.tokenPolicy.allowedClientIDs == ["ci"])
        #expect(ci.tokenPolicy.acceptedAudiences == ["api://vzauth"])
        #expect(ci.tokenPolicy.clockSkew == 10)
        #expect(ci.settings.claimMapping.usernameClaim == "preferred_username")
        #expect(ci.settings.claimMapping.groupsDelimiter == ",")
        #expect(ci.settings.claimMapping.requiredRole == nil, "a role is per issuer, never inherited")
    }

    @Test("--oidc-issuer with --oidc-client-id is one more issuer, first")
    func flagsAndList() throws {
        let settings = try resolve(["--oidc-issuer", "https://local.example.com/realm", "--oidc-client-id", "local",
                                    "--required-role", "vz_api_access", "--config", try writeConfigFile(Self.listed)])
        #expect(settings.issuers.map(\.settings.issuer) == ["https://local.example.com/realm",
                                                            "https://admin.example.com/auth/realms/verrazzano-system", "https://ci.example.com"])
        #expect(settings.issuers[0].clientIDs == ["local"])
        #expect(settings.issuers[2].settings.requiredRole == nil)
        // Without a list, the flags describe the one issuer, as before.
        let one = try resolve(["--oidc-issuer", "https://local.example.com/realm", "--oidc-client-id", "local"])
        #expect(one.issuers.map(\.settings.issuer) == ["https://local.example.com/realm"])
    }

    @Test("every problem of the list is reported with its field and the fix")
    func listProblems() throws {
        let found = problems(["--config", try writeConfigFile("""
            issuers:
            - issuer: https://a.example.com
              client-id: a
              ca-file: /nonexistent/ca.crt
            - issuer: ftp://b.example.com
              client-id: b
              usernme-claim: sub
            - issuer: https://a.example.com
              audience: ""
            """)])
        #expect(found.contains("--config issuers[0].ca-file /nonexistent/ca.crt: no such file"), "\(found)")
        #expect(found.contains { $0.hasPrefix("--config issuers[1].issuer:") && $0.contains("not an http(s) URL") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("--config issuers[1].usernme-claim: unknown setting") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("--config issuers[2].issuer:") && $0.contains("also issuers[0]") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("--config issuers[2].audience:") }, "\(found)")
        #expect(!found.contains { $0.contains("--oidc-issuer is required") }, "a list replaces the flag")

        #expect(problems(["--config", try writeConfigFile("issuers: []")]).contains {
            $0.contains("issuers: the list is empty")
        })
        let wrongShape = problems(["--config", try writeConfigFile("issuers:\n- issuer: [a, b]\n  client-id: c")])
        #expect(wrongShape.contains { $0.contains("issuers[0].issuer:") }, "\(wrongShape)")
        #expect(problems(["--config", try writeConfigFile(Self.listed), "--oidc-issuer", "https://ci.example.com",
                          "--oidc-client-id", "c"]).contains { $0.contains("is also --oidc-issuer") })
        #expect(problems(["--config", try writeConfigFile(Self.listed), "--oidc-client-id", "c"]).contains {
            $0.contains("--oidc-client-id needs --oidc-issuer")
        })
        #expect(problems([]).contains("--oidc-issuer is required"))
    }
}
