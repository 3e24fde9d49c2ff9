import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import OIDC
import ProxyCore
import ProxyFrontDoor
import Testing
import VZAuthTestSupport
@testable import APIProxy

/// `Authorization: Basic` with the password grant, at the policy: the first request waits for the grant; a request
/// with the same credentials while the grant is cached is decided at once, without leaving the event loop.
@Suite("API proxy policy: a cached Basic grant is decided at once")
struct CachedBasicGrantPolicyTests {
    private struct StaticCredential: UpstreamCredential {
        func authorizationHeaderValue() -> String? { "Bearer proxy-sa-token" }
    }

    @Test("first request: deferred (the grant); second: immediate, forwarded as the same user")
    func cachedGrantIsImmediate() async throws {
        let issuer = OIDCIssuerDouble()
        try await issuer.start()
        issuer.addUser(OIDCIssuerDouble.User(username: "pipeline", subject: "5f1d7b2e-0c4a-4e8e-9a51-1b2c3d4e5f60",
                                             groups: ["ci-runners"], password: "s3cret"))
        issuer.setAllowedClients(["verrazzano-pkce", "verrazzano-pg"])
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                                configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))
        defer { Task { try? await client.shutdown(); try? await issuer.shutdown() } }
        let logger = Logger(label: "test")
        let keys = OIDCKeyProvider(configuration: OIDCProviderConfiguration(issuer: issuer.issuer), httpClient: client, logger: logger)
        try await keys.load()
        let authenticator = TokenAuthenticator(
            keySource: keys, policy: TokenPolicy(issuer: issuer.issuer, allowedClientIDs: ["verrazzano-pkce", "verrazzano-pg"]))
        let grants = PasswordGrantClient(clientID: "verrazzano-pg", clientSecret: nil,
                                         tokenClient: OIDCTokenClient(keyProvider: keys, httpClient: client, logger: logger),
                                         authenticator: authenticator, logger: logger)
        let policy = APIProxyPolicy(configuration: APIProxyConfiguration(), authenticator: authenticator,
                                    upstream: UpstreamEndpoint(host: "127.0.0.1", port: 6443, tlsContext: nil),
                                    credential: StaticCredential(), passwordGrants: grants)
        let head = RequestHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/v1/namespaces", headers: HTTPHeaders([
            ("Authorization", "Basic \(Data("pipeline:s3cret".utf8).base64EncodedString())"),
        ])))
        let connection = ConnectionInfo(remoteAddress: nil, isTLS: true)

        func impersonated(_ decision: ProxyDecision) -> [String] {
            guard case .forward(let plan) = decision else { return ["not forwarded: \(decision)"] }
            return plan.head.headers[canonicalForm: "Impersonate-User"].map(String.init)
        }
        guard case .deferred(let work) = policy.decide(head, connection: connection) else {
            Issue.record("the first request must wait for the grant")
            return
        }
        let first = try await work.start(on: MultiThreadedEventLoopGroup.singleton.any()).get()
        #expect(impersonated(first) == ["5f1d7b2e-0c4a-4e8e-9a51-1b2c3d4e5f60"])
        guard case .immediate(let second) = policy.decide(head, connection: connection) else {
            Issue.record("a cached grant must be decided at once")
            return
        }
        #expect(impersonated(second) == ["5f1d7b2e-0c4a-4e8e-9a51-1b2c3d4e5f60"])
        #expect(issuer.passwordGrantCount == 1)

        // Other credentials are not served from that grant.
        let other = RequestHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/v1/namespaces", headers: HTTPHeaders([
            ("Authorization", "Basic \(Data("pipeline:guess".utf8).base64EncodedString())"),
        ])))
        guard case .deferred = policy.decide(other, connection: connection) else {
            Issue.record("a wrong password must not reuse the cached grant")
            return
        }
    }
}
