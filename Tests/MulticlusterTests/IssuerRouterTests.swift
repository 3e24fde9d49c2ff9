import Foundation
import Multicluster
import OIDC
import Testing
import VZAuthTestSupport

@Suite("Routing tokens to their issuer")
struct IssuerRouterTests {
    static let admin = IssuerConfiguration(issuer: "https://admin.example.com/auth/realms/verrazzano-system", clientIDs: ["verrazzano-pkce"])
    static let ci = IssuerConfiguration(issuer: "https://ci.example.com", clientIDs: ["ci"])
    static let router = IssuerRouter(IssuersConfiguration(issuers: [admin, ci]))

    static func segment(_ json: String) -> String { Base64URL.encode(Array(json.utf8)) }

    static func token(payload: String, header: String = #"{"alg":"RS256","kid":"k"}"#) -> String {
        "\(segment(header)).\(segment(payload)).\(Base64URL.encode([1, 2, 3]))"
    }

    @Test("a token goes to the issuer whose issuer equals its iss exactly")
    func routes() throws {
        let adminToken = Self.token(payload: #"{"iss":"https://admin.example.com/auth/realms/verrazzano-system","sub":"u"}"#)
        #expect(try Self.router.route(adminToken) == Self.admin)
        #expect(try Self.router.route(Self.token(payload: #"{"sub":"u","iss":"https://ci.example.com"}"#)) == Self.ci)
        #expect(try IssuerRouter<IssuerConfiguration>.unverifiedIssuer(of: adminToken)
            == "https://admin.example.com/auth/realms/verrazzano-system")
    }

    @Test("an iss no issuer has exactly is refused with 401", arguments: [
        "https://ci.example.com/", "https://CI.example.com", "http://ci.example.com", "https://ci.example.com ",
        "https://evil.example.com",
    ])
    func unknown(_ issuer: String) {
        let token = Self.token(payload: #"{"iss":"\#(issuer)"}"#)
        let error = #expect(throws: IssuerRoutingError.self) { try Self.router.route(token) }
        #expect(error == .unknownIssuer(issuer))
        #expect(error?.httpStatus == 401)
        #expect(error?.reason == "Unauthorized")
        #expect(error?.message == "the token's issuer is not accepted")
        #expect(error?.metricLabel == "unknown_issuer")
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
        let error = #expect(throws: IssuerRoutingError.self) { try Self.router.route(token) }
        if case .malformed? = error {} else { Issue.record("expected malformed, got \(String(describing: error))") }
        #expect(error?.httpStatus == 401)
        #expect(error?.metricLabel == "malformed")
        #expect(error.map { !$0.message.contains(token) || token.isEmpty } ?? true, "the message never repeats the token")
    }

    @Test("an oversized token is refused before it is decoded")
    func oversized() {
        let token = Self.token(payload: #"{"iss":"https://ci.example.com","pad":"\#(String(repeating: "x", count: 70_000))"}"#)
        #expect(throws: IssuerRoutingError.oversized) { try Self.router.route(token) }
    }

    @Test("routing works for any target type; the first of a repeated issuer wins")
    func genericTargets() throws {
        let router = IssuerRouter([(issuer: "https://a", target: 1), (issuer: "https://b", target: 2), (issuer: "https://a", target: 3)])
        #expect(try router.route(Self.token(payload: #"{"iss":"https://a"}"#)) == 1)
        #expect(try router.route(Self.token(payload: #"{"iss":"https://b"}"#)[...]) == 2)
    }

    @Test("real signed Keycloak-shaped tokens of two issuers reach their own issuer")
    func mintedTokens() throws {
        let admin = TokenMinter(key: TestKeys.rsa, issuer: Self.admin.issuer!)
        let ci = TokenMinter(key: TestKeys.p256, issuer: Self.ci.issuer!, clientID: "ci")
        #expect(try Self.router.route(admin.mint(claims: admin.keycloakClaims())) == Self.admin)
        #expect(try Self.router.route(ci.mint(claims: ci.keycloakClaims())) == Self.ci)
        let other = TokenMinter(key: TestKeys.rsa, issuer: "https://admin.example.com/auth/realms/other")
        #expect(throws: IssuerRoutingError.self) { try Self.router.route(other.mint(claims: other.keycloakClaims())) }
    }
}
