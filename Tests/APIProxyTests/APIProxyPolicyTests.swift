import Foundation
import NIOCore
import NIOEmbedded
import NIOPosix
import NIOHTTP1
import OIDC
import Prometheus
import ProxyCore
import ProxyFrontDoor
import Synchronization
import Testing
@testable import APIProxy

/// Accepts the token "good" (user alice), "grouped" (with groups), "slow" only asynchronously, refuses the rest.
private struct FakeAuthenticator: BearerTokenAuthenticator {
    func authenticateWithCurrentKeys(_ token: String) -> TokenVerificationOutcome {
        switch token {
        case "good": .authenticated(identity("alice"))
        case "grouped": .authenticated(identity("bob", groups: ["devs", "system:authenticated", "a,b"]))
        case "norole": .rejected(.missingRole)
        case "evil": .authenticated(identity("eve\r\nImpersonate-Group: system:masters"))
        case "slow": .needsKeyRefresh
        default: .rejected(.badSignature)
        }
    }

    func authenticate(_ token: String) async throws(OIDCError) -> Identity {
        guard token == "slow" else { throw .unknownKey }
        return identity("slowpoke", groups: ["g"])
    }
}

/// A verified identity with these names (roles are never sent by the API proxy).
private func identity(_ username: String, groups: [String] = [], roles: [String] = []) -> Identity {
    Identity(username: username, groups: groups, roles: roles, expiresAt: .distantFuture, subject: nil)
}

private struct StaticCredential: UpstreamCredential {
    func authorizationHeaderValue() -> String? { "Bearer proxy-sa-token" }
}

@Suite("API proxy policy")
struct APIProxyPolicyTests {
    let policy = APIProxyPolicy(
        configuration: APIProxyConfiguration(cors: CORSPolicy(allowedOrigins: ["https://console.example.com"])),
        authenticator: FakeAuthenticator(),
        upstream: UpstreamEndpoint(host: "127.0.0.1", port: 6443, tlsContext: nil),
        credential: StaticCredential())
    /// A real event loop: deferred decisions complete their promise from a task, which an `EmbeddedEventLoop`
    /// (confined to the test's thread) must not see.
    let loop = MultiThreadedEventLoopGroup.singleton.any()
    let connection = ConnectionInfo(remoteAddress: try! SocketAddress(ipAddress: "10.1.2.3", port: 5555), isTLS: true)

    @Test("upstream failures are Status objects: 503 unreachable, 504 no response in time, 502 closed")
    func upstreamFailures() async throws {
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/v1/pods")
        let cases: [(any Error, Int, String)] = [
            (UpstreamConnectFailure(underlying: ChannelError.connectTimeout(.seconds(1))), 503, "ServiceUnavailable"),
            (UpstreamResponseTimeout(timeout: .seconds(60)), 504, "Timeout"),
            (CancellationError(), 502, "InternalError"),
        ]
        for (error, code, reason) in cases {
            let response = policy.upstreamFailureResponse(error, for: RequestHead(head))
            #expect(Int(response.status.code) == code)
            let body = try #require(JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
            #expect(body["kind"] as? String == "Status")
            #expect(body["reason"] as? String == reason)
            #expect(body["code"] as? Int == code)
        }
    }

    /// The decision; a deferred one is awaited (never `wait()`ed: that would hold one of the test pool's threads the
    /// deferred work needs).
    private func decide(_ method: HTTPMethod = .GET, _ uri: String = "/20210501/api/v1/pods", headers: [(String, String)]) async -> ProxyDecision {
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders(headers))
        switch policy.decide(RequestHead(head), connection: connection) {
        case .immediate(let decision):
            return decision
        case .deferred(let work):
            let future = work.start(on: loop)
            // Deferred decisions never fail (failures become responses).
            do {
                return try await future.get()
            } catch {
                Issue.record("deferred decision failed: \(error)")
                return .respond(LocalResponse(status: .internalServerError))
            }
        }
    }

    private func status(_ response: LocalResponse) throws -> [String: Any] {
        let data = Data(response.body.readableBytesView)
        return try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("a valid token is forwarded as the user, with the proxy's credential")
    func forwardsAsUser() async throws {
        let decision = await decide(headers: [("Authorization", "Bearer grouped"), ("Accept", "application/json"),
                                        ("X-Forwarded-For", "192.0.2.1"), ("X-Remote-User", "admin"), ("X-Remote-Group", "system:masters")])
        guard case .forward(let plan) = decision else { Issue.record("expected forward: \(decision)"); return }
        let headers = plan.head.headers
        #expect(plan.head.uri == "/api/v1/pods")
        #expect(headers["Authorization"] == ["Bearer proxy-sa-token"])
        #expect(headers["Impersonate-User"] == ["bob"])
        #expect(headers["Impersonate-Group"] == ["devs", "system:authenticated", "a,b"])
        #expect(headers["X-Forwarded-For"] == ["192.0.2.1, 10.1.2.3"])
        #expect(headers["X-Remote-User"].isEmpty && headers["X-Remote-Group"].isEmpty)
        #expect(headers["Accept"] == ["application/json"])
        #expect(plan.responseHeaders["Cache-Control"] == ["no-store"])
        #expect(plan.logUser == "bob")
    }

    @Test("system:authenticated is added once")
    func authenticatedGroup() async {
        guard case .forward(let plan) = await decide(headers: [("authorization", "bearer good")]) else { Issue.record("expected forward"); return }
        #expect(plan.head.headers["Impersonate-Group"] == ["system:authenticated"])
        #expect(plan.head.headers["Impersonate-User"] == ["alice"])
    }

    @Test("client-sent impersonation headers are refused with 403", arguments: [
        "Impersonate-User", "impersonate-group", "Impersonate-Uid", "Impersonate-Extra-scopes", "IMPERSONATE-USER",
    ])
    func impersonationRefused(_ name: String) async throws {
        guard case .respond(let response) = await decide(headers: [("Authorization", "Bearer good"), (name, "system:admin")]) else {
            Issue.record("must not forward"); return
        }
        #expect(response.status == .forbidden)
        #expect(response.refusalReason == "impersonation_header")
        let body = try status(response)
        #expect(body["kind"] as? String == "Status")
        #expect(body["reason"] as? String == "Forbidden")
    }

    @Test("missing, malformed or duplicated credentials are refused", arguments: [
        ([], 401, "missing_token"),
        ([("Authorization", "Basic dXNlcjpwYXNz")], 401, "not_bearer"),
        ([("Authorization", "Bearer good"), ("Authorization", "Bearer good")], 400, "multiple_authorization"),
        ([("Authorization", "Bearer forged.token.here")], 401, "bad_signature"),
        ([("Authorization", "Bearer norole")], 403, "missing_role"),
    ] as [([(String, String)], Int, String)])
    func refusals(_ headers: [(String, String)], _ code: Int, _ reason: String) async throws {
        guard case .respond(let response) = await decide(headers: headers) else { Issue.record("must not forward"); return }
        #expect(Int(response.status.code) == code)
        #expect(response.refusalReason == reason)
        #expect(response.headers["Cache-Control"] == ["no-store"])
        #expect(response.headers["Content-Type"] == ["application/json"])
        let body = try status(response)
        #expect(body["code"] as? Int == code)
        #expect(body["status"] as? String == "Failure")
        if code == 401 {
            #expect(response.headers["WWW-Authenticate"].first?.hasPrefix("Bearer") == true)
            #expect(body["reason"] as? String == "Unauthorized")
        }
        let text = String(buffer: response.body)
        #expect(!text.contains("forged") && !text.contains("dXNlcjpwYXNz"), "errors never echo credentials")
    }

    @Test("identities with control characters never reach the API server")
    func controlCharacters() async {
        guard case .respond(let response) = await decide(headers: [("Authorization", "Bearer evil")]) else { Issue.record("must not forward"); return }
        #expect(response.status == .unauthorized)
    }

    @Test("a token that needs a key refetch is decided asynchronously")
    func deferred() async {
        guard case .forward(let plan) = await decide(headers: [("Authorization", "Bearer slow")]) else { Issue.record("expected forward"); return }
        #expect(plan.head.headers["Impersonate-User"] == ["slowpoke"])
    }

    @Test("preflights are answered without authentication; disallowed writes get 403")
    func cors() async {
        guard case .respond(let preflight) = await decide(.OPTIONS, headers: [("Origin", "https://console.example.com")]) else { Issue.record("expected response"); return }
        #expect(preflight.status == .ok)
        #expect(preflight.headers["Access-Control-Allow-Origin"] == ["https://console.example.com"])
        #expect(preflight.headers["Cache-Control"] == ["no-store"])
        guard case .respond(let denied) = await decide(.POST, headers: [("Origin", "https://evil.example.com"), ("Authorization", "Bearer good")]) else { Issue.record("expected refusal"); return }
        #expect(denied.status == .forbidden)
        guard case .forward(let plan) = await decide(.POST, headers: [("Origin", "https://console.example.com"), ("Authorization", "Bearer good")]) else { Issue.record("expected forward"); return }
        #expect(plan.responseHeaders["Access-Control-Allow-Credentials"] == ["true"])
        #expect(plan.head.headers["Origin"] == ["https://console.example.com"])
    }

    @Test("bad paths are refused before authentication")
    func badPath() async {
        guard case .respond(let response) = await decide(.GET, "/20210501/../../etc", headers: [("Authorization", "Bearer good")]) else { Issue.record("expected refusal"); return }
        #expect(response.status == .badRequest)
    }

    @Test("Status messages are valid JSON even with quotes and control characters")
    func statusEscaping() async throws {
        let response = LocalResponse.kubernetesStatus(ProxyRefusal(.unauthorized, reason: nil,
                                                                   message: "a \"quoted\" \\ line\nnext\u{1}"))
        let body = try status(response)
        #expect(body["message"] as? String == "a \"quoted\" \\ line\nnext\u{1}")
    }

    @Test("refused tokens are counted by reason")
    func failuresCounted() async throws {
        let registry = PrometheusCollectorRegistry()
        let counted = APIProxyPolicy(
            configuration: APIProxyConfiguration(), authenticator: FakeAuthenticator(), metrics: APIProxyMetrics(registry: registry),
            upstream: UpstreamEndpoint(host: "127.0.0.1", port: 6443, tlsContext: nil), credential: StaticCredential())
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/v1/pods",
                                   headers: HTTPHeaders([("Authorization", "Bearer forged")]))
        _ = counted.decide(RequestHead(head), connection: connection)
        var exposition: [UInt8] = []
        registry.emit(into: &exposition)
        let text = String(decoding: exposition, as: UTF8.self)
        #expect(text.contains(#"vzauth_authentication_failures_total{reason="bad_signature"} 1"#), "\(text)")
    }
}

/// Accepts every token as one fixed identity, as an authenticator that let a bad name through would. (The
/// asynchronous path ends in the same `forward`.)
private struct FixedIdentityAuthenticator: BearerTokenAuthenticator {
    let identity: Identity

    func authenticateWithCurrentKeys(_ token: String) -> TokenVerificationOutcome {
        .authenticated(identity)
    }

    func authenticate(_ token: String) async throws(OIDCError) -> Identity {
        identity
    }
}

@Suite("API proxy policy: names that cannot travel exactly")
struct APIProxyIdentityNameTests {
    @Test("an identity with a name the API server would see changed is refused with a 401 Status, never forwarded",
          arguments: [
              identity(" system:admin", groups: []),
              identity("dave ", groups: []),
              identity("alice", groups: [" system:masters"]),
              identity("alice", groups: ["devs", "system:masters\t"]),
              identity("alice", groups: ["\u{3000}admins"]),
              identity("\u{A0}", groups: []),
              identity("   ", groups: []),
              identity("", groups: []),
              identity("alice", groups: [""]),
              identity("alice", groups: ["g\u{85}"]),
          ])
    func refused(_ identity: Identity) async throws {
        let policy = APIProxyPolicy(
            configuration: APIProxyConfiguration(), authenticator: FixedIdentityAuthenticator(identity: identity),
            upstream: UpstreamEndpoint(host: "127.0.0.1", port: 6443, tlsContext: nil), credential: StaticCredential())
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/v1/pods",
                                   headers: HTTPHeaders([("Authorization", "Bearer token")]))
        let outcome = policy.decide(RequestHead(head), connection: ConnectionInfo(remoteAddress: nil, isTLS: true))
        guard case .immediate(.respond(let response)) = outcome else {
            Issue.record("not refused at once: \(outcome)")
            return
        }
        #expect(response.status == .unauthorized)
        #expect(response.refusalReason == "invalid_identity")
        let body = try #require(JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
        #expect(body["kind"] as? String == "Status")
        #expect(body["code"] as? Int == 401)
        #expect(body["reason"] as? String == "Unauthorized")
    }

    @Test("white space inside a name and commas in a group travel unchanged; roles, never sent, are not checked")
    func accepted() async {
        let policy = APIProxyPolicy(
            configuration: APIProxyConfiguration(),
            authenticator: FixedIdentityAuthenticator(identity: identity("Jane Doe", groups: ["team a", "a,b"],
                                                                         roles: ["admin ", "x,y"])),
            upstream: UpstreamEndpoint(host: "127.0.0.1", port: 6443, tlsContext: nil), credential: StaticCredential())
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/v1/pods",
                                   headers: HTTPHeaders([("Authorization", "Bearer token")]))
        guard case .immediate(.forward(let plan)) = policy.decide(RequestHead(head), connection: ConnectionInfo(remoteAddress: nil, isTLS: true)) else {
            Issue.record("expected forward")
            return
        }
        #expect(plan.head.headers["Impersonate-User"] == ["Jane Doe"])
        #expect(plan.head.headers["Impersonate-Group"] == ["team a", "a,b", "system:authenticated"])
    }
}
