import Foundation
import OIDC
import Testing
import VZAuthTestSupport

@Suite("Routing tokens to their issuer")
struct IssuerRouterTests {
    static let admin = "https://admin.example.com/auth/realms/verrazzano-system"
    static let ci = "https://ci.example.com"
    static let router = IssuerRouter([(issuer: admin, target: "admin"), (issuer: ci, target: "ci")])

    static func segment(_ json: String) -> String { Base64URL.encode(Array(json.utf8)) }

    static func token(payload: String, header: String = #"{"alg":"RS256","kid":"k"}"#) -> String {
        "\(segment(header)).\(segment(payload)).\(Base64URL.encode([1, 2, 3]))"
    }

    @Test("a token goes to the issuer whose issuer equals its iss exactly, as text or as bytes")
    func routes() throws {
        let adminToken = Self.token(payload: #"{"iss":"https://admin.example.com/auth/realms/verrazzano-system","sub":"u"}"#)
        #expect(try Self.router.route(adminToken) == "admin")
        #expect(try Array(adminToken.utf8).withUnsafeBytes { bytes throws(OIDCError) in try Self.router.route(bytes: bytes) } == "admin")
        #expect(try Self.router.route(Self.token(payload: #"{"sub":"u","iss":"https://ci.example.com"}"#)[...]) == "ci")
        #expect(try IssuerRouter<String>.unverifiedIssuer(of: adminToken) == Self.admin)
    }

    @Test("an iss no issuer has exactly is refused with 401", arguments: [
        "https://ci.example.com/", "https://CI.example.com", "http://ci.example.com", "https://ci.example.com ",
        "https://evil.example.com",
    ])
    func unknown(_ issuer: String) {
        let token = Self.token(payload: #"{"iss":"\#(issuer)"}"#)
        let error = #expect(throws: OIDCError.self) { try Self.router.route(token) }
        #expect(error == .wrongIssuer)
        #expect(error?.httpStatus == 401)
        #expect(error?.message == "the token's issuer is not accepted")
        #expect(error?.metricLabel == "wrong_issuer")
    }

    @Test("malformed tokens are refused with 401", arguments: [
        "", "abc", "a.b", "a.b.c.d", ".\(segment(#"{"iss":"https://ci.example.com"}"#)).c",
        "a.\(segment(#"{"iss":"https://ci.example.com"}"#)).", "a..c",
        "a.\(segment(#"{"iss":"https://ci.example.com"}"#))=.c",
        "a.\(segment("[1]")).c", "a.\(segment("not json")).c", "a.\(segment(#"{"sub":"x"}"#)).c",
        "a.\(segment(#"{"iss":1}"#)).c", "a.\(segment(#"{"iss":""}"#)).c",
        "a.\(segment(#"{"iss":"https://ci.example.com","iss":"https://ci.example.com"}"#)).c",
    ])
    func malformed(_ token: String) {
        let error = #expect(throws: OIDCError.self) { try Self.router.route(token) }
        #expect(error == .malformed)
        #expect(error?.httpStatus == 401)
        #expect(error.map { !$0.message.contains(token) || token.isEmpty } ?? true, "the message never repeats the token")
    }

    @Test("an oversized token is refused before it is decoded")
    func oversized() {
        let token = Self.token(payload: #"{"iss":"https://ci.example.com","pad":"\#(String(repeating: "x", count: 70_000))"}"#)
        #expect(throws: OIDCError.oversized) { try Self.router.route(token) }
    }

    @Test("the first of a repeated issuer wins")
    func repeatedIssuer() throws {
        let router = IssuerRouter([(issuer: "https://a", target: 1), (issuer: "https://b", target: 2), (issuer: "https://a", target: 3)])
        #expect(try router.route(Self.token(payload: #"{"iss":"https://a"}"#)) == 1)
        #expect(try router.route(Self.token(payload: #"{"iss":"https://b"}"#)) == 2)
    }
}

@Suite("Verifying tokens of several issuers")
struct IssuerRoutedAuthenticatorTests {
    static let ciIssuer = "https://ci.example.com"
    static let clock = TestClock(Fixture.now)

    /// The fixture's Keycloak realm (RSA and more) and a CI issuer whose only key is P-256, with client `ci` and no
    /// required role.
    static func authenticator(ciKeys: MutableKeySource = MutableKeySource(ciKeySet)) -> IssuerRoutedAuthenticator {
        let ci = TokenAuthenticator(
            keySource: ciKeys,
            policy: TokenPolicy(issuer: ciIssuer, allowedClientIDs: ["ci"], clockSkew: 30),
            mapping: ClaimMapping(usernameClaim: "preferred_username"), now: { clock.now })
        return IssuerRoutedAuthenticator([Fixture.authenticator(clock: clock), ci])
    }

    static let ciKeySet = try! JSONWebKeySet(jsonBytes: Array(TestKeys.jwks(jwks: [TestKeys.p256.publicJWK()]).utf8))
    static let ciMinter = TokenMinter(key: TestKeys.p256, issuer: ciIssuer, clientID: "ci")

    @Test("each issuer's tokens are verified by that issuer's policy and claim mapping")
    func bothIssuers() throws {
        let authenticator = Self.authenticator()
        guard case .authenticated(let admin) = authenticator.authenticateWithCurrentKeys(Fixture.token()) else {
            Issue.record("the realm's token was refused"); return
        }
        #expect(admin.username == "8f0e6c1e-3b7a-4d4f-9b1a-5c2d7e9f0a11", "the realm maps sub")
        let ciToken = Self.ciMinter.mint(claims: Self.ciMinter.keycloakClaims(now: Fixture.now, username: "pipeline"))
        guard case .authenticated(let pipeline) = authenticator.authenticateWithCurrentKeys(ciToken) else {
            Issue.record("the CI issuer's token was refused"); return
        }
        #expect(pipeline.username == "pipeline", "the CI issuer maps preferred_username")
        // Served again from the issuer's cache, as bytes too.
        let again = Array(ciToken.utf8).withUnsafeBytes { authenticator.authenticateWithCurrentKeys(bytes: $0) }
        guard case .authenticated(let cached) = again else { Issue.record("\(again)"); return }
        #expect(cached == pipeline)
        #expect(authenticator.authenticators[1].cachedTokenCount == 1)
        #expect(authenticator.authenticators[0].cachedTokenCount == 1)
    }

    @Test("a token is verified only by the keys of the issuer it names: a CI token signed with the realm's key is refused")
    func onlyItsIssuersKeys() {
        // Signed by a key the realm publishes, claiming to be the CI issuer: the CI issuer's keys must refuse it.
        let forged = TokenMinter(key: TestKeys.rsa, issuer: Self.ciIssuer, clientID: "ci")
        let token = forged.mint(claims: forged.keycloakClaims(now: Fixture.now))
        let outcome = Self.authenticator().authenticateWithCurrentKeys(token)
        guard case .needsKeyRefresh = outcome else { Issue.record("expected the CI issuer to lack the key: \(outcome)"); return }
    }

    @Test("an unknown iss is refused with 401 without any key lookup")
    func unknownIssuer() async {
        let other = TokenMinter(key: TestKeys.rsa, issuer: "https://elsewhere.example.com")
        let token = other.mint(claims: other.keycloakClaims(now: Fixture.now))
        let authenticator = Self.authenticator()
        guard case .rejected(let error) = authenticator.authenticateWithCurrentKeys(token) else {
            Issue.record("an unknown issuer's token was not refused"); return
        }
        #expect(error == .wrongIssuer)
        #expect(error.httpStatus == 401)
        await #expect(throws: OIDCError.wrongIssuer) { try await authenticator.authenticate(token) }
    }

    @Test("a cached token of an issuer whose key left the key set is verified again, and refused")
    func keyRotation() {
        let keys = MutableKeySource(Self.ciKeySet)
        let authenticator = Self.authenticator(ciKeys: keys)
        let token = Self.ciMinter.mint(claims: Self.ciMinter.keycloakClaims(now: Fixture.now))
        guard case .authenticated = authenticator.authenticateWithCurrentKeys(token) else { Issue.record("refused"); return }
        keys.set(try! JSONWebKeySet(jsonBytes: Array(TestKeys.jwks(jwks: [TestKeys.ed25519.publicJWK()]).utf8)))
        guard case .needsKeyRefresh = authenticator.authenticateWithCurrentKeys(token) else {
            Issue.record("a token whose key left was still accepted from the cache"); return
        }
    }
}
