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
}
