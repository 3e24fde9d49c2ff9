import Foundation
import Testing
import VZAuthTestSupport

/// A managed cluster's API proxy accepts the admin cluster's tokens beside its own: issuers listed in `--config`
/// (`issuers:`), each token verified by the issuer its `iss` names, with that issuer's keys, clients, claims and role.
@Suite("API proxy: tokens of several issuers")
struct SeveralIssuersTests {
    /// A `--config` file listing `issuer` (client `ci`, users named by `preferred_username`, role `ci_access`).
    static func config(listing issuer: OIDCIssuerDouble) throws -> String {
        try writeConfigFile("""
            issuers:
            - issuer: \(issuer.issuer)
              client-id: ci
              username-claim: preferred_username
              required-role: ci_access
            """)
    }

    func status(_ harness: ProxyHarness, token: String, path: String = "/api/v1/namespaces/default/configmaps") async throws -> String {
        try await run("/usr/bin/curl", [
            "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", harness.authority.certificateFile.path,
            "-H", "Authorization: Bearer \(token)", harness.proxyURL + path,
        ]).stdout
    }

    func metrics(_ harness: ProxyHarness) async throws -> String {
        try await run("/usr/bin/curl", ["-sS", "http://127.0.0.1:\(harness.managementPort)/metrics"]).stdout
    }

    @Test("tokens of the flag's issuer and of a listed issuer are accepted, each with its own claims; an unknown or forged iss is 401")
    func twoIssuers() async throws {
        let ci = OIDCIssuerDouble(realmPath: "/ci", clientID: "ci", key: TestKeys.p256)
        try await ci.start()
        defer { Task { try? await ci.shutdown() } }
        try await ProxyHarness.with(extraArguments: ["--config", try Self.config(listing: ci)]) { harness in
            // The realm's user, by sub (the flag's username claim).
            let alice = harness.issuer.mint(claims: harness.issuer.minter.keycloakClaims(groups: ["team-a"]))
            let whoami = try await kubectl(try harness.kubeconfig(token: alice, name: "alice"), "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
            #expect(whoami.status == 0, "\(whoami.stderr)")
            #expect(whoami.stdout == "8f0e6c1e-3b7a-4d4f-9b1a-5c2d7e9f0a11")

            // The CI issuer's user, by preferred_username, with the role that issuer requires.
            let pipeline = ci.mint(claims: ci.minter.keycloakClaims(username: "pipeline", groups: ["ci-runners"], roles: ["ci_access"]))
            let ciWhoami = try await kubectl(try harness.kubeconfig(token: pipeline, name: "pipeline"), "auth", "whoami", "-o",
                                             "jsonpath={.status.userInfo.username} {.status.userInfo.groups}")
            #expect(ciWhoami.status == 0, "\(ciWhoami.stderr)")
            #expect(ciWhoami.stdout.hasPrefix("pipeline "), "\(ciWhoami.stdout)")
            #expect(ciWhoami.stdout.contains("ci-runners"))

            // The CI issuer requires ci_access; the realm does not (no --required-role).
            let noRole = ci.mint(claims: ci.minter.keycloakClaims(username: "pipeline", roles: ["other"]))
            #expect(try await status(harness, token: noRole) == "403")
            // The CI issuer accepts client ci only: a CI token for verrazzano-pkce is refused.
            let otherClient = TokenMinter(key: TestKeys.p256, issuer: ci.issuer, clientID: "verrazzano-pkce")
            #expect(try await status(harness, token: otherClient.mint(claims: otherClient.keycloakClaims(roles: ["ci_access"]))) == "401")

            // An issuer no entry names: 401, and nothing forwarded.
            let before = harness.apiServer.requests.count
            let stranger = TokenMinter(key: TestKeys.rsa, issuer: "https://elsewhere.example.com/auth/realms/verrazzano-system")
            #expect(try await status(harness, token: stranger.mint(claims: stranger.keycloakClaims())) == "401")
            // Claiming the CI issuer, signed with the realm's key (which the CI issuer does not publish): 401.
            let forged = TokenMinter(key: TestKeys.rsa, issuer: ci.issuer, clientID: "ci")
            #expect(try await status(harness, token: forged.mint(claims: forged.keycloakClaims(roles: ["ci_access"]))) == "401")
            // Claiming the realm, signed with the CI issuer's key: 401.
            let forgedRealm = TokenMinter(key: TestKeys.p256, issuer: harness.issuer.issuer)
            #expect(try await status(harness, token: forgedRealm.mint(claims: forgedRealm.keycloakClaims())) == "401")
            #expect(harness.apiServer.requests.count == before, "refused tokens are never forwarded")

            // A metric per issuer.
            let text = try await metrics(harness)
            for issuer in [harness.issuer.issuer, ci.issuer] {
                #expect(text.contains("vzauth_oidc_issuer_keys_loaded{issuer=\"\(issuer)\"} 1"), "\(issuer): \(text)")
                #expect(text.contains("vzauth_oidc_key_refreshes_total{issuer=\"\(issuer)\",trigger=\"startup\",outcome=\"success\"} 1"),
                        "\(issuer): \(text)")
            }
        }
    }

    @Test("/readyz waits for every issuer's keys and names the one missing")
    func readiness() async throws {
        let ci = OIDCIssuerDouble(realmPath: "/ci", clientID: "ci", key: TestKeys.p256)
        try await ci.start()
        defer { Task { try? await ci.shutdown() } }
        ci.setBehaviour(.fail(status: 500))
        try await ProxyHarness.with(extraArguments: ["--config", try Self.config(listing: ci)],
                                    waitForKeys: false) { harness in
            let readyz = "http://127.0.0.1:\(harness.managementPort)/readyz"
            // The realm's keys load at once; the CI issuer's never while it fails.
            var answer = try await run("/usr/bin/curl", ["-sS", "-w", "\n%{http_code}", readyz]).stdout
            for _ in 0..<100 where !answer.contains(ci.issuer) {
                try await Task.sleep(for: .milliseconds(50))
                answer = try await run("/usr/bin/curl", ["-sS", "-w", "\n%{http_code}", readyz]).stdout
            }
            #expect(answer.hasSuffix("503"), "\(answer)")
            #expect(answer.contains("the signing keys of issuer \(ci.issuer) are not loaded yet"), "\(answer)")
            #expect(try await metrics(harness).contains("vzauth_oidc_issuer_keys_loaded{issuer=\"\(ci.issuer)\"} 0"))
            // The realm's users are served meanwhile; the CI issuer's get 503 (its keys are not there yet).
            let alice = harness.issuer.mint(claims: harness.issuer.minter.keycloakClaims())
            #expect(try await status(harness, token: alice) == "200")
            let pipeline = ci.mint(claims: ci.minter.keycloakClaims(username: "pipeline", roles: ["ci_access"]))
            #expect(try await status(harness, token: pipeline) == "503")
        }
    }
}
