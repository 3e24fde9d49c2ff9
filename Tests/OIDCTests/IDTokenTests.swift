import Foundation
import OIDC
import Testing
import VZAuthTestSupport

/// An ID token as Keycloak issues it, at the fixture's clock.
private func idToken(
    nonce: String? = "nonce-1",
    _ changes: [String: TokenJSON] = [:],
    removing: [String] = [],
    headerChanges: [String: TokenJSON] = [:]
) -> String {
    var claims = Fixture.minter().keycloakIDTokenClaims(now: Fixture.now, nonce: nonce, sessionID: "session-1")
    claims.merge(changes, uniquingKeysWith: { $1 })
    for name in removing {
        claims[name] = nil
    }
    return Fixture.minter().mint(claims: claims, headerChanges: headerChanges)
}

@Suite("ID token verification with nonce")
struct IDTokenTests {
    @Test("a Keycloak ID token with the right nonce verifies; sub and sid are exposed")
    func accepted() async throws {
        let identity = try await Fixture.authenticator().authenticateIDToken(idToken(), expectedNonce: "nonce-1")
        #expect(identity.subject == "8f0e6c1e-3b7a-4d4f-9b1a-5c2d7e9f0a11")
        #expect(identity.sessionID == "session-1")
        #expect(identity.groups == ["verrazzano-admins"])
        #expect(identity.roles.contains("vz_api_access"))
    }

    @Test("a missing, different, empty-expected or non-string nonce is refused as wrong_nonce", arguments: [
        (Optional<String>.none, "nonce-1"),
        ("nonce-2", "nonce-1"),
        ("nonce-1", "nonce-10"),
        ("", ""),
        ("nonce-1", ""),
    ])
    func wrongNonce(_ tokenNonce: String?, _ expected: String) {
        let outcome = Fixture.authenticator().authenticateIDTokenWithCurrentKeys(idToken(nonce: tokenNonce), expectedNonce: expected)
        #expect(outcome == .rejected(.wrongNonce))
        if case .rejected(let error) = outcome {
            #expect(error.httpStatus == 401)
            #expect(error.metricLabel == "wrong_nonce")
        }
    }

    @Test("a nonce that is not a string is refused")
    func nonceNotString() {
        let token = idToken(nonce: nil, ["nonce": 12])
        #expect(Fixture.authenticator().authenticateIDTokenWithCurrentKeys(token, expectedNonce: "12") == .rejected(.wrongNonce))
    }

    @Test("the ordinary checks apply to ID tokens as to access tokens", arguments: [
        ("expired", "expired"), ("wrong issuer", "wrong_issuer"), ("wrong client", "wrong_audience"),
        ("tampered", "bad_signature"), ("missing role", "missing_role"),
    ])
    func ordinaryChecks(_ name: String, _ label: String) {
        let token: String
        switch name {
        case "expired": token = idToken(["exp": .number(Fixture.now.timeIntervalSince1970 - 60)])
        case "wrong issuer": token = idToken(["iss": "https://evil.example.com"])
        case "wrong client": token = idToken(["azp": "grafana", "aud": "grafana"])
        case "tampered": token = TokenMinter.tamperedSignature(idToken())
        default: token = idToken(["realm_access": ["roles": []]])
        }
        guard case .rejected(let error) = Fixture.authenticator().authenticateIDTokenWithCurrentKeys(token, expectedNonce: "nonce-1") else {
            Issue.record("\(name) accepted")
            return
        }
        #expect(error.metricLabel == label)
    }

    @Test("a token cached as an access token is still checked for its nonce as an ID token")
    func cacheDoesNotSkipNonce() {
        let authenticator = Fixture.authenticator()
        let token = idToken(nonce: "nonce-1")
        guard case .authenticated = authenticator.authenticateWithCurrentKeys(token) else {
            Issue.record("not accepted as a bearer token")
            return
        }
        #expect(authenticator.cachedTokenCount == 1)
        #expect(authenticator.authenticateIDTokenWithCurrentKeys(token, expectedNonce: "other") == .rejected(.wrongNonce))
        guard case .authenticated = authenticator.authenticateIDTokenWithCurrentKeys(token, expectedNonce: "nonce-1") else {
            Issue.record("right nonce refused")
            return
        }
    }

    @Test("ID token verification neither reads nor fills the cache")
    func notCached() {
        let authenticator = Fixture.authenticator()
        _ = authenticator.authenticateIDTokenWithCurrentKeys(idToken(), expectedNonce: "nonce-1")
        _ = authenticator.authenticateIDTokenWithCurrentKeys(idToken(), expectedNonce: "nonce-1")
        #expect(authenticator.cachedTokenCount == 0)
    }

    @Test("an unknown kid asks for a key refresh; the async path reports unknown_key without a refetch")
    func unknownKey() async {
        let token = idToken(headerChanges: ["kid": "rotated"])
        let authenticator = Fixture.authenticator()
        #expect(authenticator.authenticateIDTokenWithCurrentKeys(token, expectedNonce: "nonce-1") == .needsKeyRefresh)
        await #expect(throws: OIDCError.unknownKey) { try await authenticator.authenticateIDToken(token, expectedNonce: "nonce-1") }
    }

    @Test("access tokens expose sid as the session id too; without sid it is nil")
    func accessTokenSessionID() async throws {
        let withSID = try await Fixture.authenticator().authenticate(Fixture.token(["sid": "s-9"]))
        #expect(withSID.sessionID == "s-9")
        let without = try await Fixture.authenticator().authenticate(Fixture.token())
        #expect(without.sessionID == nil)
    }

    @Test("a token typed logout+jwt is refused as an access or ID token")
    func logoutTypeRefused() {
        let token = Fixture.minter().mint(claims: Fixture.claims(["nonce": "nonce-1"]), headerChanges: ["typ": "logout+jwt"])
        #expect(Fixture.authenticator().authenticateWithCurrentKeys(token) == .rejected(.malformed))
        #expect(Fixture.authenticator().authenticateIDTokenWithCurrentKeys(token, expectedNonce: "nonce-1") == .rejected(.malformed))
    }
}
