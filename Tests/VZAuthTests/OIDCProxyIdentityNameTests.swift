import Foundation
import OIDCProxy
import Testing
import VZAuthTestSupport

/// Names the console would receive changed (white space stripped) or split (a comma in `X-Forwarded-Groups` or
/// `x-proxy-roles`): no session, nothing forwarded, and a log line naming the claim and why.
@Suite("OIDC proxy: identities whose names cannot reach the console exactly", .serialized)
struct OIDCProxyIdentityNameTests {
    private static let json = [("Accept", "application/json")]

    @Test("a login whose ID token has such a group makes no session and reaches no console", arguments: [
        (" admins", "invalid_groups", "group 1 of the groups claim begins with the white-space character U+0020"),
        ("team-a,admins", "invalid_identity", "group 1 of the groups claim contains a comma, and names are sent comma-separated"),
    ])
    func loginRefused(group: String, reason: String, detail: String) async throws {
        try await OIDCProxyHarness.withIssuer { issuer in
            issuer.addUser(OIDCIssuerDouble.User(username: "mallory", groups: [group], roles: ["vz_api_access"]))
            issuer.setAutoLoginUser("mallory")
            let logs = LogRecorder()
            try await OIDCProxyHarness.with(issuer: issuer, logger: logs.logger()) { harness in
                let browser = BrowserClient()
                let (final, chain) = try await browser.follow(harness.url("/d/abc"))
                #expect(final.status == 401, "\(chain)")
                #expect(chain.count == 3, "page → issuer → callback, and no way back: \(chain)")
                #expect(issuer.codeExchangeCount == 1)
                #expect(browser.cookies(for: harness.host)["vz_authn"] == nil)
                #expect(browser.cookies(for: harness.host)["vz_userinfo"] == nil)
                #expect(harness.console.requestCount == 0)
                let line = try #require(logs.lines.first { $0.contains("login:") }, "\(logs.lines)")
                #expect(line.contains("reason=\(reason)"), "\(line)")
                #expect(line.contains("detail=\(detail)"), "\(line)")
                #expect(!line.contains("eyJ"), "never a token: \(line)")
            }
        }
    }

    @Test("a refresh that brings such a group ends the session; the console sees nothing more")
    func refreshRefused() async throws {
        try await OIDCProxyHarness.withIssuer { issuer in
            issuer.setTokenLifetimes(access: 1)
            let logs = LogRecorder()
            try await OIDCProxyHarness.with(issuer: issuer, logger: logs.logger()) { harness in
                let browser = BrowserClient()
                let (first, _) = try await browser.follow(harness.url("/d/abc"))
                #expect(first.status == 200)
                let seen = harness.console.requestCount
                var alice = OIDCProxyHarness.alice
                alice.groups = ["verrazzano-admins", "team-a,team-b"]
                issuer.addUser(alice)
                try await Task.sleep(for: .milliseconds(1_100))
                let script = try await browser.get(harness.url("/api/user"), headers: Self.json)
                #expect(script.status == 401)
                #expect(browser.cookies(for: harness.host)["vz_authn"] == nil, "the ended session's cookie is deleted")
                #expect(harness.console.requestCount == seen)
                let line = try #require(logs.lines.first { $0.contains("refresh:") }, "\(logs.lines)")
                #expect(line.contains("claim=groups") && line.contains("group 2 of the groups claim contains a comma"), "\(line)")
            }
        }
    }

    @Test("a session cookie holding such names (sealed by an earlier version) is refused at use", arguments: [
        (["admins "], [String](), "claim=groups", "group 1 of the groups claim ends with the white-space character U+0020"),
        (["team-a"], ["vz_api_access", "\u{A0}admin"], "claim=realm_access.roles",
         "role 2 of the realm_access.roles claim begins with the white-space character U+00A0"),
    ])
    func oldSessionRefused(groups: [String], roles: [String], claim: String, detail: String) async throws {
        try await OIDCProxyHarness.withIssuer { issuer in
            let logs = LogRecorder()
            try await OIDCProxyHarness.with(issuer: issuer, logger: logs.logger()) { harness in
                let now = Date()
                let session = SessionPayload(
                    username: "alice", subject: OIDCProxyHarness.alice.subject, groups: groups, roles: roles,
                    idToken: nil, refreshToken: nil, accessTokenIssuedAt: now, accessTokenExpiresAt: now.addingTimeInterval(300),
                    createdAt: now)
                let codec = try SessionCookieCodec(sealer: try CookieSealer(secrets: [harness.cookieSecret]),
                                                   attributes: try CookieAttributes(secure: false))
                let write = try codec.setCookies(for: session, expiresAt: now.addingTimeInterval(300), now: now,
                                                 replacing: RequestCookies(headerValues: [String]()))
                let browser = BrowserClient()
                for cookie in write.setCookies {
                    browser.setCookie(name: cookie.name, value: cookie.value, host: harness.host)
                }
                let script = try await browser.get(harness.url("/api/user"), headers: Self.json)
                #expect(script.status == 401)
                #expect(browser.cookies(for: harness.host)["vz_authn"] == nil, "the refused session's cookie is deleted")
                #expect(harness.console.requestCount == 0)
                let line = try #require(logs.lines.first { $0.contains("session:") }, "\(logs.lines)")
                #expect(line.contains(claim) && line.contains("detail=\(detail)"), "\(line)")
            }
        }
    }

    @Test("a bearer token with a comma group is refused with 401 and never forwarded")
    func bearerRefused() async throws {
        try await OIDCProxyHarness.withIssuer { issuer in
            let logs = LogRecorder()
            try await OIDCProxyHarness.with(issuer: issuer, logger: logs.logger()) { harness in
                let token = issuer.mint(claims: issuer.minter.keycloakClaims(username: "carol", groups: ["team-c,admins"]))
                let answer = try await BrowserClient().get(harness.url("/api/user"),
                                                           headers: Self.json + [("Authorization", "Bearer \(token)")])
                #expect(answer.status == 401)
                #expect(answer.text.contains("group 1 of the groups claim contains a comma"), "\(answer.text)")
                #expect(harness.console.requestCount == 0)
                #expect(logs.lines.contains { $0.contains("claim=groups") }, "\(logs.lines)")
                #expect(!logs.lines.joined().contains(token))
            }
        }
    }
}
