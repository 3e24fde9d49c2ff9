import Foundation
import OIDC
import Testing

@Suite("Authorization request with PKCE")
struct AuthorizationRequestTests {
    private static let base64URLCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    @Test("state, nonce and verifier are 43 base64url characters and differ from each other and between requests")
    func randomValues() {
        let first = OIDCAuthorizationRequest()
        let second = OIDCAuthorizationRequest()
        for value in [first.state, first.nonce, first.codeVerifier] {
            #expect(value.count == 43)
            #expect(value.allSatisfy { Self.base64URLCharacters.contains($0) })
        }
        #expect(Set([first.state, first.nonce, first.codeVerifier, second.state, second.nonce, second.codeVerifier]).count == 6)
    }

    @Test("the S256 challenge matches RFC 7636 appendix B")
    func rfcVector() {
        #expect(
            OIDCAuthorizationRequest.codeChallenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
                == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        )
        let request = OIDCAuthorizationRequest(state: "s", nonce: "n", codeVerifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        #expect(request.codeChallenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        #expect(OIDCAuthorizationRequest.codeChallengeMethod == "S256")
    }

    @Test("an injected generator gives reproducible values")
    func seeded() {
        var one = SeededGenerator(state: 42)
        var two = SeededGenerator(state: 42)
        #expect(OIDCAuthorizationRequest(using: &one) == OIDCAuthorizationRequest(using: &two))
    }

    @Test("the URL carries every parameter, form-urlencoded, in order")
    func url() throws {
        let request = OIDCAuthorizationRequest(state: "st ate+/", nonce: "n&once=", codeVerifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        let url = request.authorizationURL(
            endpoint: "https://keycloak.example.com/auth/realms/verrazzano-system/protocol/openid-connect/auth",
            clientID: "verrazzano-pkce",
            redirectURI: "https://grafana.example.com/_authentication_callback?x=1&y=ä",
            scope: "openid profile"
        )
        #expect(
            url == "https://keycloak.example.com/auth/realms/verrazzano-system/protocol/openid-connect/auth"
                + "?response_type=code&client_id=verrazzano-pkce"
                + "&redirect_uri=https%3A%2F%2Fgrafana.example.com%2F_authentication_callback%3Fx%3D1%26y%3D%C3%A4"
                + "&scope=openid+profile&state=st+ate%2B%2F&nonce=n%26once%3D"
                + "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
        )
        // A standard parser gets the original values back.
        let items = try #require(URLComponents(string: url.replacingOccurrences(of: "+", with: "%20"))?.queryItems)
        let values = Dictionary(uniqueKeysWithValues: items.map { ($0.name, $0.value ?? "") })
        #expect(values["redirect_uri"] == "https://grafana.example.com/_authentication_callback?x=1&y=ä")
        #expect(values["state"] == "st ate+/")
        #expect(values["nonce"] == "n&once=")
        #expect(values["scope"] == "openid profile")
    }

    @Test("an endpoint with a query gets & appended; a fragment is dropped", arguments: [
        ("https://kc.example.com/auth?kc_idp_hint=github", "https://kc.example.com/auth?kc_idp_hint=github&response_type=code"),
        ("https://kc.example.com/auth?", "https://kc.example.com/auth?response_type=code"),
        ("https://kc.example.com/auth?a=1&", "https://kc.example.com/auth?a=1&response_type=code"),
        ("https://kc.example.com/auth#frag", "https://kc.example.com/auth?response_type=code"),
    ])
    func existingQuery(_ endpoint: String, _ prefix: String) {
        let url = OIDCAuthorizationRequest().authorizationURL(endpoint: endpoint, clientID: "c", redirectURI: "https://x/cb")
        #expect(url.hasPrefix(prefix))
        #expect(!url.contains("#"))
        #expect(url.components(separatedBy: "?").count == 2)
    }

    @Test("additional parameters are appended but cannot override the fixed ones")
    func additionalParameters() {
        let request = OIDCAuthorizationRequest()
        let url = request.authorizationURL(
            endpoint: "https://kc.example.com/auth",
            clientID: "verrazzano-pkce",
            redirectURI: "https://x/cb",
            additionalParameters: [("prompt", "login"), ("code_challenge_method", "plain"), ("state", "evil")]
        )
        #expect(url.hasSuffix("&code_challenge_method=S256&prompt=login"))
        #expect(!url.contains("plain"))
        #expect(!url.contains("evil"))
    }

    @Test("from a discovery document: the published authorization endpoint, or nil without one")
    func fromDiscovery() {
        let request = OIDCAuthorizationRequest()
        let document = OIDCDiscoveryDocument(
            issuer: "https://kc.example.com/realms/vz",
            jwksURI: "http://internal/certs",
            authorizationEndpoint: "https://kc.example.com/realms/vz/protocol/openid-connect/auth"
        )
        let url = request.authorizationURL(discovery: document, clientID: "verrazzano-pkce", redirectURI: "https://x/cb")
        #expect(url?.hasPrefix("https://kc.example.com/realms/vz/protocol/openid-connect/auth?response_type=code") == true)
        let withoutEndpoint = OIDCDiscoveryDocument(issuer: "https://kc.example.com/realms/vz", jwksURI: "https://kc/certs")
        #expect(request.authorizationURL(discovery: withoutEndpoint, clientID: "c", redirectURI: "https://x/cb") == nil)
    }

    @Test("the description never shows the verifier")
    func description() {
        let request = OIDCAuthorizationRequest()
        #expect(!request.description.contains(request.codeVerifier))
        #expect(!"\(request)".contains(request.codeVerifier))
    }
}
