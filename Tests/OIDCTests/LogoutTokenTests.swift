import Foundation
import OIDC
import Testing
import VZAuthTestSupport

private let now = Fixture.now.timeIntervalSince1970
private let event = "http://schemas.openid.net/event/backchannel-logout"

/// Logout token claims at the fixture's clock, with `changes` applied and `removing` members dropped.
private func logoutClaims(_ changes: [String: TokenJSON] = [:], removing: [String] = []) -> [String: TokenJSON] {
    var claims = Fixture.minter().logoutTokenClaims(now: Fixture.now, subject: "user-1", sessionID: "session-1", tokenID: "jti-\(UUID())")
    claims.merge(changes, uniquingKeysWith: { $1 })
    for name in removing {
        claims[name] = nil
    }
    return claims
}

private func logoutToken(
    _ changes: [String: TokenJSON] = [:],
    removing: [String] = [],
    header: [String: TokenJSON] = [:],
    key: TestSigningKey = TestKeys.rsa
) -> String {
    Fixture.minter(key).mintLogoutToken(claims: logoutClaims(changes, removing: removing), headerChanges: header)
}

private func verifier(
    maximumAge: TimeInterval = 300,
    capacity: Int = 10_000,
    clock: TestClock = TestClock(Fixture.now)
) -> LogoutTokenVerifier {
    LogoutTokenVerifier(
        keySource: StaticKeySource(Fixture.keySet),
        policy: TokenPolicy(issuer: Fixture.issuer, allowedClientIDs: Fixture.clients),
        maximumAge: maximumAge,
        replayCacheCapacity: capacity,
        now: { clock.now }
    )
}

/// One refused logout token and the label its refusal must carry.
struct BadLogoutToken: Sendable, CustomTestStringConvertible {
    let name: String
    let label: String
    let make: @Sendable () -> String

    init(_ name: String, _ label: String, _ make: @escaping @Sendable () -> String) {
        self.name = name
        self.label = label
        self.make = make
    }

    var testDescription: String { "\(self.name) → \(self.label)" }
}

let badLogoutTokens: [BadLogoutToken] = [
    // Signature and structure
    BadLogoutToken("tampered signature", "bad_signature") { TokenMinter.tamperedSignature(logoutToken()) },
    BadLogoutToken("alg none", "malformed") { Fixture.minter().unsigned(claims: logoutClaims()) },
    BadLogoutToken("HS256 with the public key", "unsupported_algorithm") { Fixture.minter().hs256WithPublicKey(claims: logoutClaims()) },
    BadLogoutToken("unknown kid", "unknown_key") { logoutToken(header: ["kid": "gone"]) },
    BadLogoutToken("not a JWS", "malformed") { "not-a-token" },
    // Type
    BadLogoutToken("typ JWT", "wrong_type") { logoutToken(header: ["typ": "JWT"]) },
    BadLogoutToken("typ at+jwt", "wrong_type") { logoutToken(header: ["typ": "at+jwt"]) },
    BadLogoutToken("typ is a number", "wrong_type") { logoutToken(header: ["typ": 1]) },
    // Issuer and audience
    BadLogoutToken("wrong issuer", "wrong_issuer") { logoutToken(["iss": "https://evil.example.com/auth/realms/verrazzano-system"]) },
    BadLogoutToken("no issuer", "wrong_issuer") { logoutToken(removing: ["iss"]) },
    BadLogoutToken("wrong audience", "wrong_audience") { logoutToken(["aud": "grafana"]) },
    BadLogoutToken("no aud, wrong azp", "wrong_audience") { logoutToken(["azp": "grafana"], removing: ["aud"]) },
    BadLogoutToken("no aud and no azp", "wrong_audience") { logoutToken(removing: ["aud"]) },
    BadLogoutToken("aud with a number", "malformed") { logoutToken(["aud": ["grafana", 3]]) },
    // One audience rule for every token (AudienceRule): an azp naming another client decides, whatever aud lists.
    BadLogoutToken("our aud, another client's azp", "wrong_audience") { logoutToken(["azp": "grafana"]) },
    // Time
    BadLogoutToken("no iat", "missing_iat") { logoutToken(removing: ["iat"]) },
    BadLogoutToken("iat as a string", "malformed") { logoutToken(["iat": .string("\(Int(now))")]) },
    BadLogoutToken("iat in the future", "issued_in_future") { logoutToken(["iat": .number(now + 120)]) },
    BadLogoutToken("iat older than the maximum age", "too_old") { logoutToken(["iat": .number(now - 400), "exp": .number(now + 60)]) },
    BadLogoutToken("expired", "expired") { logoutToken(["iat": .number(now - 100), "exp": .number(now - 40)]) },
    BadLogoutToken("nbf in the future", "not_yet_valid") { logoutToken(["nbf": .number(now + 100)]) },
    // jti
    BadLogoutToken("no jti", "missing_jti") { logoutToken(removing: ["jti"]) },
    BadLogoutToken("empty jti", "missing_jti") { logoutToken(["jti": ""]) },
    BadLogoutToken("jti a number", "missing_jti") { logoutToken(["jti": 7]) },
    // events
    BadLogoutToken("no events", "missing_event") { logoutToken(removing: ["events"]) },
    BadLogoutToken("events an array", "missing_event") { logoutToken(["events": [.string(event)]]) },
    BadLogoutToken("events without the logout member", "missing_event") {
        logoutToken(["events": ["http://schemas.openid.net/event/other": [:]]])
    },
    BadLogoutToken("logout event value true", "missing_event") { logoutToken(["events": [event: true]]) },
    BadLogoutToken("logout event value a string", "missing_event") { logoutToken(["events": [event: "{}"]]) },
    // Subject and session
    BadLogoutToken("neither sub nor sid", "missing_subject") { logoutToken(removing: ["sub", "sid"]) },
    BadLogoutToken("sub a number", "malformed") { logoutToken(["sub": 5]) },
    BadLogoutToken("empty sid", "malformed") { logoutToken(["sid": ""], removing: ["sub"]) },
    // ID tokens are not logout tokens
    BadLogoutToken("nonce present", "nonce_present") { logoutToken(["nonce": "n"]) },
    BadLogoutToken("an ID token", "wrong_type") {
        Fixture.minter().mint(claims: Fixture.minter().keycloakIDTokenClaims(now: Fixture.now))
    },
    BadLogoutToken("an ID token without typ header", "missing_jti") {
        var claims = Fixture.minter().keycloakIDTokenClaims(now: Fixture.now, nonce: nil)
        claims["jti"] = nil
        return Fixture.minter().mint(claims: claims, headerChanges: ["typ": nil])
    },
]

@Suite("Back-channel logout tokens")
struct LogoutTokenTests {
    @Test("a Keycloak-style logout token verifies and names subject, session, jti and iat")
    func accepted() async throws {
        let claims = logoutClaims()
        let token = Fixture.minter().mintLogoutToken(claims: claims)
        let verified = try await verifier().verify(token)
        #expect(verified.subject == "user-1")
        #expect(verified.sessionID == "session-1")
        #expect(claims["jti"] == .string(verified.tokenID))
        #expect(verified.issuedAt == Fixture.now)
        #expect(verified.expiresAt == Fixture.now.addingTimeInterval(120))
    }

    @Test("typ variants, a missing typ or exp, an aud array, azp alone, only sub or only sid are accepted", arguments: [
        "application/logout+jwt", "Logout+JWT", "none", "no-exp", "aud-array", "azp-only", "sub-only", "sid-only", "ed25519-key",
    ])
    func acceptedVariants(_ variant: String) async throws {
        let token: String
        switch variant {
        case "none": token = logoutToken(header: ["typ": nil])
        case "no-exp": token = logoutToken(removing: ["exp"])
        case "aud-array": token = logoutToken(["aud": ["account", "verrazzano-pg"]])
        case "azp-only": token = logoutToken(["azp": "verrazzano-pkce"], removing: ["aud"])
        case "sub-only": token = logoutToken(removing: ["sid"])
        case "sid-only": token = logoutToken(removing: ["sub"])
        case "ed25519-key": token = logoutToken(key: TestKeys.ed25519)
        default: token = logoutToken(header: ["typ": .string(variant)])
        }
        _ = try await verifier().verify(token)
    }

    @Test("the table of bad logout tokens is large enough")
    func tableSize() {
        #expect(badLogoutTokens.count >= 25)
    }

    @Test("each bad logout token is refused with its label, and its description never holds the token", arguments: badLogoutTokens)
    func refused(_ case: BadLogoutToken) async {
        let verifier = verifier()
        let token = `case`.make()
        do {
            let verified = try await verifier.verify(token)
            Issue.record("accepted: \(verified)")
        } catch {
            // The refusal's status is the logout endpoint's (always 400: OIDCProxyFlowTests), not the error's.
            #expect(error.metricLabel == `case`.label)
            for part in token.split(separator: ".") where part.count > 8 {
                #expect(!error.description.contains(part))
            }
        }
        #expect(verifier.rememberedTokenIDCount == 0)
    }

    @Test("a replayed jti is refused; another jti is not")
    func replay() async throws {
        let verifier = verifier()
        let token = logoutToken()
        _ = try await verifier.verify(token)
        await #expect(throws: OIDCError.replayed) { try await verifier.verify(token) }
        // Same jti in a freshly signed token: still a replay.
        let claims = logoutClaims(["jti": "fixed"])
        _ = try await verifier.verify(Fixture.minter().mintLogoutToken(claims: claims))
        await #expect(throws: OIDCError.replayed) {
            try await verifier.verify(Fixture.minter(TestKeys.p256).mintLogoutToken(claims: claims))
        }
        _ = try await verifier.verify(logoutToken())
        #expect(verifier.rememberedTokenIDCount == 3)
    }

    @Test("a forged token with a used jti does not count as a replay, and does not poison the cache")
    func forgedDoesNotPoison() async throws {
        let verifier = verifier()
        let claims = logoutClaims(["jti": "target"])
        let forged = TokenMinter.tamperedSignature(Fixture.minter().mintLogoutToken(claims: claims))
        await #expect(throws: OIDCError.badSignature) { try await verifier.verify(forged) }
        _ = try await verifier.verify(Fixture.minter().mintLogoutToken(claims: claims))
    }

    @Test("a jti is remembered only while the token could be accepted; then the token is refused as too old")
    func replayWindow() async throws {
        let clock = TestClock(Fixture.now)
        let verifier = verifier(maximumAge: 60, clock: clock)
        let token = logoutToken(removing: ["exp"])
        _ = try await verifier.verify(token)
        clock.advance(by: 89)  // within maximum age + skew
        await #expect(throws: OIDCError.replayed) { try await verifier.verify(token) }
        clock.advance(by: 2)
        await #expect(throws: OIDCError.tooOld) { try await verifier.verify(token) }
    }

    @Test("memory stays bounded: the cache never holds more than its capacity")
    func bounded() async throws {
        let verifier = verifier(capacity: 8)
        for _ in 0..<50 {
            _ = try await verifier.verify(logoutToken())
        }
        #expect(verifier.rememberedTokenIDCount <= 8)
    }

    @Test("no keys at all: keys_unavailable, still HTTP 400")
    func noKeys() async {
        let verifier = LogoutTokenVerifier(
            keySource: MutableKeySource(nil),
            policy: TokenPolicy(issuer: Fixture.issuer, allowedClientIDs: Fixture.clients),
            now: { Fixture.now }
        )
        await #expect(throws: OIDCError.keysUnavailable) { try await verifier.verify(logoutToken()) }
    }
}
