import Foundation
import Testing
import VZAuthTestSupport
@testable import vzauth

/// Provider habits other than Keycloak's, through the real API proxy to the API server double with kubectl.
@Suite("API proxy with other OpenID providers", .serialized)
struct ProviderInteropTests {
    private func impersonation(_ harness: ProxyHarness) throws -> (user: [String], groups: [String]) {
        let headers = try #require(harness.apiServer.requests.last).headers
        return (headers.filter { $0.name.lowercased() == "impersonate-user" }.map(\.value),
                headers.filter { $0.name.lowercased() == "impersonate-group" }.map(\.value))
    }

    @Test("a token without kid is accepted when exactly one published key verifies it, refused when none does")
    func tokenWithoutKid() async throws {
        try await ProxyHarness.with { harness in
            harness.issuer.rotateKey()  // two RSA keys published, signing with the new one
            let claims = harness.issuer.minter.keycloakClaims(groups: ["team-a"])
            let token = harness.issuer.minter.mint(claims: claims, headerChanges: ["kid": nil])
            let accepted = try await kubectl(try harness.kubeconfig(token: token), "get", "configmaps", "-n", "default")
            #expect(accepted.status == 0, "\(accepted.stderr)")
            #expect(try impersonation(harness).groups == ["team-a", "system:authenticated"])

            let stranger = TokenMinter(key: TestSigningKey(kind: .rsa2048, kid: "unpublished"), issuer: harness.issuer.issuer,
                                       clientID: harness.issuer.clientID)
            let forged = stranger.mint(claims: claims, headerChanges: ["kid": nil])
            let refused = try await kubectl(try harness.kubeconfig(token: forged, name: "forged"), "get", "configmaps", "-n", "default")
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("You must be logged in"), "\(refused.stderr)")
        }
    }

    @Test("--groups-claim-delimiter splits a groups claim sent as one joined string")
    func joinedGroups() async throws {
        try await ProxyHarness.with(extraArguments: ["--groups-claim-delimiter", ","]) { harness in
            var claims = harness.issuer.minter.keycloakClaims()
            claims["groups"] = "team-a, team-b"
            let result = try await kubectl(try harness.kubeconfig(token: harness.issuer.mint(claims: claims)), "get", "configmaps", "-n", "default")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try impersonation(harness).groups == ["team-a", "team-b", "system:authenticated"])
        }
    }

    @Test("--oidc-audience accepts access tokens issued for the proxy as an API, whatever their azp; without it they are refused")
    func acceptedAudience() async throws {
        for (arguments, accepted) in [([String](), false), (["--oidc-audience", "api://vzauth"], true)] {
            try await ProxyHarness.with(extraArguments: arguments) { harness in
                var claims = harness.issuer.minter.keycloakClaims()
                claims["aud"] = "api://vzauth"
                claims["azp"] = "some-cli"
                let result = try await kubectl(try harness.kubeconfig(token: harness.issuer.mint(claims: claims)), "get", "configmaps", "-n", "default")
                #expect((result.status == 0) == accepted, "\(arguments): \(result.stderr)")
            }
        }
    }
}
