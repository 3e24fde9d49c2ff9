import Foundation
import Testing
import VZAuthTestSupport

/// Machine clients of the API proxy with a user name and password: `Authorization: Basic`, exchanged with the
/// password grant (client `verrazzano-pg`) for tokens that are checked like a bearer token's, then impersonated.
@Suite("API proxy: Basic credentials through the password grant")
struct APIProxyBasicCredentialsTests {
    static let pipeline = OIDCIssuerDouble.User(username: "pipeline", subject: "5f1d7b2e-0c4a-4e8e-9a51-1b2c3d4e5f60",
                                                groups: ["ci-runners"], password: "s3cret pass:word")

    func get(_ harness: ProxyHarness, basic credentials: String, path: String = "/api/v1/namespaces/default/configmaps") async throws -> (status: String, body: String) {
        let result = try await run("/usr/bin/curl", [
            "-sS", "-w", "\n%{http_code}", "--cacert", harness.authority.certificateFile.path,
            "-H", "Authorization: Basic \(Data(credentials.utf8).base64EncodedString())", harness.proxyURL + path,
        ])
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (String(lines.last ?? ""), lines.dropLast().joined(separator: "\n"))
    }

    @Test("a user name and password are exchanged once, cached, and the user is impersonated; wrong ones are 401")
    func exchanged() async throws {
        try await ProxyHarness.with { harness in
            harness.issuer.addUser(Self.pipeline)
            harness.issuer.setAllowedClients(["verrazzano-pkce", "verrazzano-pg"])
            for _ in 0..<3 {
                let answer = try await get(harness, basic: "pipeline:s3cret pass:word")
                #expect(answer.status == "200", "\(answer.body)")
            }
            #expect(harness.issuer.passwordGrantCount == 1, "one grant, then the cached one")
            let seen = try #require(harness.apiServer.requests.last { $0.uri.hasPrefix("/api/v1/namespaces/default/configmaps") })
            func values(_ name: String) -> [String] { seen.headers.filter { $0.name.lowercased() == name }.map(\.value) }
            #expect(values("impersonate-user") == [Self.pipeline.subject])
            #expect(values("impersonate-group").contains("ci-runners"))
            #expect(!values("authorization").contains { $0.hasPrefix("Basic") }, "the password never reaches the API server")

            let before = harness.apiServer.requests.count
            let wrong = try await get(harness, basic: "pipeline:guess")
            #expect(wrong.status == "401")
            #expect(wrong.body.contains("Invalid user name or password"), "\(wrong.body)")
            #expect(!wrong.body.contains("guess"))
            let malformed = try await run("/usr/bin/curl", [
                "-sS", "-w", "\n%{http_code}", "--cacert", harness.authority.certificateFile.path,
                "-H", "Authorization: Basic not-base64!", harness.proxyURL + "/api/v1/namespaces/default/configmaps",
            ]).stdout
            #expect(malformed.hasSuffix("401") && malformed.contains("malformed Basic credentials"), "\(malformed)")
            #expect(try await get(harness, basic: "pipeline:").status == "401", "an empty password is never sent to the provider")
            #expect(harness.apiServer.requests.count == before, "refused credentials are never forwarded")
        }
    }

    @Test("Basic is refused when the password client is not one whose tokens the proxy accepts")
    func refusedWithoutThePasswordClient() async throws {
        try await ProxyHarness.with(extraArguments: ["--oidc-password-client-id", "scripts"]) { harness in
            harness.issuer.addUser(Self.pipeline)
            let answer = try await get(harness, basic: "pipeline:s3cret pass:word")
            #expect(answer.status == "401")
            #expect(answer.body.contains("must carry a bearer token"), "\(answer.body)")
            #expect(harness.issuer.passwordGrantCount == 0)
        }
    }
}
