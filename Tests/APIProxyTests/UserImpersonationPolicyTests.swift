import Foundation
import Multicluster
import NIOCore
import NIOHTTP1
import NIOPosix
import OIDC
import ProxyCore
import ProxyFrontDoor
import Synchronization
import Testing
@testable import APIProxy

/// Accepts "admin" (alice, group ops) and "plain" (bob).
private struct Users: BearerTokenAuthenticator {
    func authenticateWithCurrentKeys(_ token: String) -> TokenVerificationOutcome {
        switch token {
        case "admin": .authenticated(Identity(username: "alice", groups: ["ops"], roles: [], expiresAt: .distantFuture, subject: nil))
        case "plain": .authenticated(Identity(username: "bob", groups: [], roles: [], expiresAt: .distantFuture, subject: nil))
        default: .rejected(.badSignature)
        }
    }

    func authenticate(_ token: String) async throws(OIDCError) -> Identity { throw .unknownKey }
}

private struct Credential: UpstreamCredential {
    func authorizationHeaderValue() -> String? { "Bearer proxy-sa-token" }
}

@Suite("API proxy policy: kubectl --as (--allow-user-impersonation)")
struct UserImpersonationPolicyTests {
    private final class Reviews: Sendable {
        /// "user: verb resource/name" for each review asked.
        let asked = Mutex<[String]>([])
    }

    private let reviews = Reviews()
    private let loop = MultiThreadedEventLoopGroup.singleton.any()

    /// alice may impersonate user carol and group viewers; nobody may anything else.
    private func policy(allowing: Bool = true) -> APIProxyPolicy {
        let reviews = self.reviews
        let review = UserImpersonationReview { review in
            let attributes = review.spec.resourceAttributes
            reviews.asked.withLock { $0.append("\(review.spec.user): \(attributes.verb) \(attributes.resource)/\(attributes.name ?? "")") }
            let allowed = review.spec.user == "alice" && attributes.verb == "impersonate"
                && ((attributes.resource == "users" && attributes.name == "carol") || (attributes.resource == "groups" && attributes.name == "viewers"))
            return SubjectAccessReview.Status(allowed: allowed)
        }
        return APIProxyPolicy(
            configuration: APIProxyConfiguration(), authenticator: Users(),
            upstream: UpstreamEndpoint(host: "127.0.0.1", port: 6443, tlsContext: nil), credential: Credential(),
            impersonationReview: allowing ? review : nil)
    }

    private func decide(_ token: String, _ extra: [(String, String)], allowing: Bool = true) async throws -> ProxyDecision {
        let headers = HTTPHeaders([("Authorization", "Bearer \(token)")] + extra)
        let head = RequestHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/v1/pods", headers: headers))
        switch policy(allowing: allowing).decide(head, connection: ConnectionInfo(remoteAddress: nil, isTLS: true)) {
        case .immediate(let decision): return decision
        case .deferred(let work): return try await work.start(on: loop).get()
        }
    }

    private func status(_ decision: ProxyDecision) -> Int? {
        if case .respond(let response) = decision { return Int(response.status.code) }
        return nil
    }

    @Test("an allowed --as is served as the requested identity, with the original user as extras")
    func allowed() async throws {
        let decision = try await decide("admin", [("Impersonate-User", "carol"), ("Impersonate-Group", "viewers")])
        guard case .forward(let plan) = decision else { Issue.record("expected a forward: \(decision)"); return }
        let headers = plan.head.headers
        #expect(headers["Impersonate-User"] == ["carol"])
        #expect(headers["Impersonate-Group"] == ["viewers", "system:authenticated"])
        #expect(headers["Impersonate-Extra-Original-User"] == ["alice"])
        #expect(headers["Impersonate-Extra-Original-Groups"] == ["ops"])
        #expect(headers["Authorization"] == ["Bearer proxy-sa-token"])
        #expect(reviews.asked.withLock { $0 } == ["alice: impersonate users/carol", "alice: impersonate groups/viewers"])
    }

    @Test("refused with 403: a review that says no, a uid or extra, groups without a user, the flag off", arguments: [
        ("admin", [("Impersonate-User", "root")], true),
        ("admin", [("Impersonate-User", "carol"), ("Impersonate-Group", "system:masters")], true),
        ("plain", [("Impersonate-User", "carol")], true),
        ("admin", [("Impersonate-User", "carol"), ("Impersonate-Uid", "1")], true),
        ("admin", [("Impersonate-User", "carol"), ("Impersonate-Extra-Scopes", "x")], true),
        ("admin", [("Impersonate-Group", "viewers")], true),
        ("admin", [("Impersonate-User", "carol"), ("Impersonate-User", "dave")], true),
        ("admin", [("Impersonate-User", "carol")], false),
    ])
    func refused(token: String, extra: [(String, String)], allowing: Bool) async throws {
        #expect(status(try await decide(token, extra, allowing: allowing)) == 403)
    }

    @Test("a forged token is refused before any review")
    func forgedToken() async throws {
        #expect(status(try await decide("forged", [("Impersonate-User", "carol")])) == 401)
        #expect(reviews.asked.withLock { $0 }.isEmpty)
    }
}
