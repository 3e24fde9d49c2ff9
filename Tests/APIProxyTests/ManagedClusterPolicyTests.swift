import Foundation
import Multicluster
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import OIDC
import Prometheus
import ProxyCore
import ProxyFrontDoor
import Synchronization
import Testing
@testable import APIProxy

/// Accepts "good" (alice, group team-a) and "other" (mallory) with the keys at hand.
private struct TwoUsers: BearerTokenAuthenticator {
    func authenticateWithCurrentKeys(_ token: String) -> TokenVerificationOutcome {
        switch token {
        case "good": .authenticated(Identity(username: "alice", groups: ["team-a"], roles: [], expiresAt: .distantFuture, subject: nil))
        case "other": .authenticated(Identity(username: "mallory", groups: [], roles: [], expiresAt: .distantFuture, subject: nil))
        default: .rejected(.badSignature)
        }
    }

    func authenticate(_ token: String) async throws(OIDCError) -> Identity { throw .unknownKey }
}

private struct ProxyCredential: UpstreamCredential {
    func authorizationHeaderValue() -> String? { "Bearer proxy-sa-token" }
}

@Suite("API proxy policy: requests for managed clusters")
struct ManagedClusterPolicyTests {
    /// What the fakes share with the test.
    private final class Shared: Sendable {
        /// The reviews asked, as "user groups cluster".
        let reviews = Mutex<[String]>([])
        /// Whether the managed clusters have been listed.
        let synced = Mutex(true)
    }

    private let shared = Shared()
    private let registry = PrometheusCollectorRegistry()
    private let loop = MultiThreadedEventLoopGroup.singleton.any()
    private let connection = ConnectionInfo(remoteAddress: try! SocketAddress(ipAddress: "10.1.2.3", port: 5555), isTLS: true)

    private func policy() -> APIProxyPolicy {
        let shared = self.shared
        // alice may get every VMC; nobody else any.
        let access = ClusterAccessCheck(cacheDuration: .zero) { review in
            shared.reviews.withLock {
                $0.append("\(review.spec.user) \(review.spec.groups.joined(separator: ",")) \(review.spec.resourceAttributes.name ?? "-")")
            }
            return SubjectAccessReview.Status(allowed: review.spec.user == "alice")
        }
        let directory = ClusterDirectory(clusters: [
            VerrazzanoManagedCluster(name: "managed1", apiUrl: "https://managed1.example.com:8443/base"),
            VerrazzanoManagedCluster(name: "pending"),
        ], secrets: [])
        let clusters = ManagedClusterRouting(rules: ClusterRoute.Rules(), access: access,
                                             directory: { shared.synced.withLock { $0 } ? directory : nil }, namespace: "verrazzano-mc",
                                             metrics: APIProxyMetrics(registry: registry))
        return APIProxyPolicy(
            configuration: APIProxyConfiguration(cors: CORSPolicy(allowedOrigins: [])), authenticator: TwoUsers(),
            upstream: UpstreamEndpoint(host: "127.0.0.1", port: 6443, tlsContext: nil), credential: ProxyCredential(),
            clusters: clusters)
    }

    /// The decision; a deferred one is awaited (never `wait()`ed: that would hold one of the test pool's threads
    /// the deferred work needs).
    private func decide(_ uri: String, token: String? = "good", extra: [(String, String)] = []) async throws -> ProxyDecision {
        var headers = HTTPHeaders([("Host", "admin-proxy.example.com"), ("Accept", "application/json")] + extra)
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        let head = RequestHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: headers))
        switch policy().decide(head, connection: connection) {
        case .immediate(let decision): return decision
        case .deferred(let work): return try await work.start(on: loop).get()
        }
    }

    private func status(_ decision: ProxyDecision) throws -> (Int, String) {
        guard case .respond(let response) = decision else { throw StatusExpected() }
        let body = try #require(JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
        return (Int(response.status.code), body["message"] as? String ?? "")
    }

    private struct StatusExpected: Error {}

    @Test("kubectl style: /clusters/NAME goes to that cluster's proxy with the user's own token, no impersonation")
    func kubectlStyle() async throws {
        let decision = try await decide("/clusters/managed1/api/v1/namespaces/app/pods?watch=1",
                                  extra: [("X-Forwarded-For", "192.0.2.1"), ("X-Remote-User", "admin")])
        guard case .forward(let plan) = decision else { Issue.record("expected a forward: \(decision)"); return }
        #expect(plan.upstream.host == "managed1.example.com")
        #expect(plan.upstream.port == 8443)
        #expect(plan.upstream.tlsContext != nil)
        #expect(plan.head.uri == "/base/api/v1/namespaces/app/pods?watch=1")
        let names = plan.head.headers.map { $0.name.lowercased() }
        #expect(plan.head.headers["Authorization"] == ["Bearer good"], "the user's token, not the proxy's")
        #expect(!names.contains { $0.hasPrefix("impersonate-") || $0.hasPrefix("x-remote-") })
        #expect(plan.head.headers["X-Forwarded-For"] == ["192.0.2.1, 10.1.2.3"])
        #expect(shared.reviews.withLock { $0 } == ["alice system:authenticated,team-a managed1"])
    }

    @Test("console style: cluster=NAME is removed, every other parameter and the version prefix are kept")
    func consoleStyle() async throws {
        let decision = try await decide("/20210501/api/v1/namespaces/app/pods?limit=5&cluster=managed1&x=")
        guard case .forward(let plan) = decision else { Issue.record("expected a forward: \(decision)"); return }
        #expect(plan.head.uri == "/base/20210501/api/v1/namespaces/app/pods?limit=5&x=")
    }

    @Test("this cluster by name is forwarded to the local API server as the user, without the designation")
    func localByName() async throws {
        let decision = try await decide("/20210501/api/v1/pods?cluster=local&limit=1")
        guard case .forward(let plan) = decision else { Issue.record("expected a forward: \(decision)"); return }
        #expect(plan.upstream.host == "127.0.0.1")
        #expect(plan.head.uri == "/api/v1/pods?limit=1")
        #expect(plan.head.headers["Impersonate-User"] == ["alice"])
        #expect(shared.reviews.withLock { $0 }.isEmpty)
    }

    @Test("refusals: forbidden 403, unknown 404, not registered 503, bad or conflicting names 400, not loaded 503, no token 401")
    func refusals() async throws {
        #expect(try await status(decide("/clusters/managed1/api/v1/pods", token: "other")).0 == 403)
        let unknown = try await status(decide("/clusters/nowhere/api/v1/pods"))
        #expect(unknown.0 == 404)
        #expect(unknown.1.contains("nowhere"))
        let pending = try await status(decide("/clusters/pending/api/v1/pods"))
        #expect(pending.0 == 503)
        #expect(pending.1.contains("not registered yet"))
        #expect(try await status(decide("/clusters/Managed1/api/v1/pods")).0 == 400)
        #expect(try await status(decide("/clusters/managed1/api/v1/pods?cluster=other")).0 == 400)
        #expect(try await status(decide("/clusters/managed1/api/v1/pods", token: nil)).0 == 401)
        #expect(try await status(decide("/clusters/managed1/api/v1/pods", token: "forged")).0 == 401)
        shared.synced.withLock { $0 = false }
        #expect(try await status(decide("/clusters/managed1/api/v1/pods")).0 == 503)
        var exposition: [UInt8] = []
        registry.emit(into: &exposition)
        let text = String(decoding: exposition, as: UTF8.self)
        #expect(text.contains(#"vzauth_api_proxy_cluster_requests_total{cluster="managed1",outcome="cluster_forbidden"} 1"#), "\(text)")
        #expect(text.contains(#"vzauth_api_proxy_cluster_requests_total{cluster="unregistered",outcome="cluster_not_found"} 1"#), "\(text)")
        #expect(text.contains(#"vzauth_api_proxy_cluster_requests_total{cluster="pending",outcome="cluster_unavailable"} 1"#), "\(text)")
    }

    @Test("the managed proxy's failures name the cluster: unreachable 503, untrusted certificate 502")
    func upstreamFailures() throws {
        let head = RequestHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/clusters/managed1/api"))
        let unreachable = policy().upstreamFailureResponse(UpstreamConnectFailure(underlying: ChannelError.connectTimeout(.seconds(1))), for: head)
        #expect(unreachable.status == .serviceUnavailable)
        #expect(String(buffer: unreachable.body).contains("managed1"))
        let untrusted = policy().upstreamFailureResponse(NIOSSLError.handshakeFailed(.sslError([])), for: head)
        #expect(untrusted.status == .badGateway)
        #expect(String(buffer: untrusted.body).contains("not trusted"))
    }
}
