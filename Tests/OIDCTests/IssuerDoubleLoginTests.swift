import AsyncHTTPClient
import Foundation
import NIOHTTP1
import OIDC
import Testing
import VZAuthTestSupport

extension OIDCIssuerDouble {
    var authorizationURL: String { self.baseURL + self.realmPath + "/protocol/openid-connect/auth" }
    var tokenURL: String { self.baseURL + self.realmPath + "/protocol/openid-connect/token" }
    var endSessionURL: String { self.baseURL + self.realmPath + "/protocol/openid-connect/logout" }
}

/// GETs the double's authorization endpoint for `login`, with the session cookie if given.
func authorize(
    _ issuer: OIDCIssuerDouble,
    _ http: HTTPClient,
    _ login: OIDCAuthorizationRequest,
    clientID: String = "verrazzano-pkce",
    cookie: String? = nil,
    additionalParameters: [(name: String, value: String)] = []
) async throws -> RawResponse {
    let url = login.authorizationURL(
        endpoint: issuer.authorizationURL,
        clientID: clientID,
        redirectURI: LoginFixture.redirectURI,
        additionalParameters: additionalParameters
    )
    return try await http.raw(url, headers: cookie.map { [("Cookie", "\(OIDCIssuerDouble.sessionCookieName)=\($0)")] } ?? [])
}

/// The `KEYCLOAK_SESSION` value a response sets, if any.
func sessionCookie(in response: RawResponse) -> String? {
    guard let header = response.header("Set-Cookie"), header.hasPrefix(OIDCIssuerDouble.sessionCookieName + "=") else {
        return nil
    }
    let value = header.dropFirst(OIDCIssuerDouble.sessionCookieName.count + 1).prefix { $0 != ";" }
    return value.isEmpty ? nil : String(value)
}

@Suite("Issuer double: Keycloak-like login endpoints")
struct IssuerDoubleLoginTests {
    @Test("discovery advertises the login endpoints, S256 and back-channel logout")
    func discovery() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            let document = try await http.raw(issuer.discoveryURL)
            let json = try #require(StrictJSONValue(parsing: Array(document.body.utf8))?.objectValue)
            #expect(json["authorization_endpoint"]?.stringValue == issuer.authorizationURL)
            #expect(json["token_endpoint"]?.stringValue == issuer.tokenURL)
            #expect(json["end_session_endpoint"]?.stringValue == issuer.endSessionURL)
            #expect(json["backchannel_logout_supported"] == .bool(true))
            #expect(json["code_challenge_methods_supported"] == .array([.string("S256")]))
        }
    }

    @Test("bad authorization requests get a 400 page", arguments: [
        "no challenge", "plain", "no method", "unknown client", "no redirect_uri", "implicit",
    ])
    func refusedAuthorization(_ variant: String) async throws {
        try await LoginFixture.withIssuer { issuer, http in
            issuer.setAutoLoginUser("alice")
            let login = OIDCAuthorizationRequest()
            var parameters: [(String, String)] = [
                ("client_id", "verrazzano-pkce"), ("redirect_uri", LoginFixture.redirectURI), ("response_type", "code"),
                ("scope", "openid"), ("state", login.state), ("code_challenge", login.codeChallenge),
                ("code_challenge_method", "S256"),
            ]
            switch variant {
            case "no challenge": parameters.removeAll { $0.0 == "code_challenge" }
            case "plain": parameters = parameters.map { $0.0 == "code_challenge_method" ? ($0.0, "plain") : $0 }
            case "no method": parameters.removeAll { $0.0 == "code_challenge_method" }
            case "unknown client": parameters = parameters.map { $0.0 == "client_id" ? ($0.0, "grafana") : $0 }
            case "no redirect_uri": parameters.removeAll { $0.0 == "redirect_uri" }
            default: parameters = parameters.map { $0.0 == "response_type" ? ($0.0, "token") : $0 }
            }
            let response = try await http.raw(issuer.authorizationURL + "?" + formBody(parameters))
            #expect(response.status == 400)
            #expect(response.header("Location") == nil)
            #expect(issuer.interactiveLoginCount == 0)
        }
    }

    @Test("without a session or auto-login user the login page is shown")
    func loginPage() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            let response = try await authorize(issuer, http, OIDCAuthorizationRequest())
            #expect(response.status == 200)
            #expect(response.body.contains("kc-form-login"))
            #expect(issuer.interactiveLoginCount == 0)
        }
    }

    @Test("the login form posted with the right password logs the user in; a wrong one shows the form again")
    func formLogin() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            let url = OIDCAuthorizationRequest().authorizationURL(
                endpoint: issuer.authorizationURL, clientID: "verrazzano-pkce", redirectURI: LoginFixture.redirectURI)
            let wrong = try await http.raw(url, method: .POST, form: "username=alice&password=guess")
            #expect(wrong.status == 200)
            #expect(wrong.body.contains("Invalid username or password.") && wrong.body.contains("kc-form-login"))
            #expect(sessionCookie(in: wrong) == nil)
            let right = try await http.raw(url, method: .POST, form: "username=alice&password=alice-password")
            #expect(right.status == 302)
            #expect(right.header("Location")?.hasPrefix(LoginFixture.redirectURI + "?code=") == true)
            #expect(sessionCookie(in: right) != nil)
            #expect(issuer.interactiveLoginCount == 1)
        }
    }

    @Test("auto-login sets the session cookie; the cookie then gives single sign-on without a login")
    func singleSignOn() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            issuer.setAutoLoginUser("alice")
            let first = OIDCAuthorizationRequest()
            let login = try await authorize(issuer, http, first)
            #expect(login.status == 302)
            #expect(login.header("Location")?.hasPrefix(LoginFixture.redirectURI + "?code=") == true)
            #expect(login.locationQuery["state"] == first.state)
            let cookie = try #require(sessionCookie(in: login))
            #expect(login.header("Set-Cookie")?.contains("Path=/") == true)
            #expect(login.locationQuery["session_state"] == cookie)
            #expect(issuer.interactiveLoginCount == 1)

            issuer.setAutoLoginUser(nil)
            let second = OIDCAuthorizationRequest()
            let sso = try await authorize(issuer, http, second, cookie: cookie)
            #expect(sso.status == 302)
            #expect(sso.locationQuery["state"] == second.state)
            #expect(sso.locationQuery["session_state"] == cookie)
            #expect(sessionCookie(in: sso) == nil)
            #expect(issuer.ssoLoginCount == 1)
            #expect(issuer.interactiveLoginCount == 1)

            // prompt=none without a session: login_required, back to the client.
            let silent = try await authorize(issuer, http, OIDCAuthorizationRequest(), additionalParameters: [("prompt", "none")])
            #expect(silent.status == 302)
            #expect(silent.locationQuery["error"] == "login_required")
        }
    }

    @Test("a code is single use and bound to redirect_uri and the PKCE verifier")
    func codeBinding() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            issuer.setAutoLoginUser("alice")
            func code() async throws -> (String, OIDCAuthorizationRequest) {
                let login = OIDCAuthorizationRequest()
                let response = try await authorize(issuer, http, login)
                return (try #require(response.locationQuery["code"]), login)
            }
            func exchange(_ code: String, verifier: String, redirectURI: String = LoginFixture.redirectURI) async throws -> RawResponse {
                try await http.raw(issuer.tokenURL, method: .POST, form: formBody([
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
                    ("client_id", "verrazzano-pkce"), ("code_verifier", verifier),
                ]))
            }
            let (good, login) = try await code()
            #expect(try await exchange(good, verifier: login.codeVerifier).status == 200)
            let reused = try await exchange(good, verifier: login.codeVerifier)
            #expect(reused.status == 400)
            #expect(reused.body.contains("invalid_grant"))

            let (wrongVerifier, _) = try await code()
            let mismatch = try await exchange(wrongVerifier, verifier: OIDCAuthorizationRequest().codeVerifier)
            #expect(mismatch.status == 400)
            #expect(mismatch.body.contains("PKCE verification failed"))

            let (wrongRedirect, other) = try await code()
            let redirect = try await exchange(wrongRedirect, verifier: other.codeVerifier, redirectURI: "https://evil.example.com/cb")
            #expect(redirect.status == 400)
            // A failed attempt used the code up.
            #expect(try await exchange(wrongRedirect, verifier: other.codeVerifier).status == 400)
            #expect(issuer.codeExchangeCount == 5)
        }
    }

    @Test("tokens are shaped like Keycloak's; the refresh token never verifies as a bearer token")
    func tokenShapes() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            issuer.setAutoLoginUser("alice")
            let provider = try await LoginFixture.provider(for: issuer, httpClient: http)
            let client = LoginFixture.tokenClient(provider, httpClient: http)
            let login = OIDCAuthorizationRequest()
            let code = try #require(try await authorize(issuer, http, login).locationQuery["code"])
            let tokens = try await client.exchangeCode(code, codeVerifier: login.codeVerifier, redirectURI: LoginFixture.redirectURI, clientID: "verrazzano-pkce")
            let access = try claims(of: tokens.accessToken)
            let id = try claims(of: try #require(tokens.idToken))
            let refresh = try claims(of: try #require(tokens.refreshToken))
            #expect(access["typ"] == .string("Bearer"))
            #expect(id["typ"] == .string("ID"))
            #expect(refresh["typ"] == .string("Refresh"))
            #expect(id["aud"] == .string("verrazzano-pkce"))
            #expect(id["nonce"] == .string(login.nonce))
            for token in [access, id] {
                #expect(token["azp"] == .string("verrazzano-pkce"))
                #expect(token["sub"] == .string(LoginFixture.alice.subject))
                #expect(token["preferred_username"] == .string("alice"))
                #expect(token["groups"] == .array([.string("verrazzano-admins")]))
                #expect(token["realm_access"]?.objectValue?["roles"] == .array([.string("vz_api_access"), .string("offline_access")]))
                #expect(token["sid"] != nil && token["sid"] == token["session_state"])
            }
            #expect(tokens.expiresIn == 300)
            #expect(tokens.refreshExpiresIn == 1800)
            let authenticator = LoginFixture.authenticator(provider, issuer: issuer)
            await #expect(throws: OIDCError.unsupportedAlgorithm) { try await authenticator.authenticate(try #require(tokens.refreshToken)) }
        }
    }

    @Test("refresh rotates the refresh token: the old one stops working, the new one works")
    func refreshRotation() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            issuer.setTokenLifetimes(access: 2, refresh: 600)
            let client = LoginFixture.tokenClient(try await LoginFixture.provider(for: issuer, httpClient: http), httpClient: http)
            let first = try await client.passwordGrant(username: "alice", password: "alice-password", clientID: "verrazzano-pkce")
            #expect(first.expiresIn == 2)
            #expect(first.refreshExpiresIn == 600)
            let oldRefresh = try #require(first.refreshToken)
            let second = try await client.refresh(oldRefresh, clientID: "verrazzano-pkce")
            let newRefresh = try #require(second.refreshToken)
            #expect(newRefresh != oldRefresh)
            await #expect(throws: OIDCTokenEndpointError.invalidGrant) { try await client.refresh(oldRefresh, clientID: "verrazzano-pkce") }
            let third = try await client.refresh(newRefresh, clientID: "verrazzano-pkce")
            #expect(issuer.refreshCount == 3)
            #expect(issuer.passwordGrantCount == 1)

            issuer.revokeRefreshTokens(of: "alice")
            await #expect(throws: OIDCTokenEndpointError.invalidGrant) {
                try await client.refresh(try #require(third.refreshToken), clientID: "verrazzano-pkce")
            }
            let fourth = try await client.passwordGrant(username: "alice", password: "alice-password", clientID: "verrazzano-pkce")
            issuer.revokeAllRefreshTokens()
            await #expect(throws: OIDCTokenEndpointError.invalidGrant) {
                try await client.refresh(try #require(fourth.refreshToken), clientID: "verrazzano-pkce")
            }
        }
    }

    @Test("a refresh token is bound to its client")
    func refreshClientBinding() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            issuer.setAllowedClients(["verrazzano-pkce", "verrazzano-pg"])
            let client = LoginFixture.tokenClient(try await LoginFixture.provider(for: issuer, httpClient: http), httpClient: http)
            let tokens = try await client.passwordGrant(username: "alice", password: "alice-password", clientID: "verrazzano-pg")
            await #expect(throws: OIDCTokenEndpointError.invalidGrant) {
                try await client.refresh(try #require(tokens.refreshToken), clientID: "verrazzano-pkce")
            }
            await #expect(throws: OIDCTokenEndpointError.invalidClient) {
                try await client.refresh(try #require(tokens.refreshToken), clientID: "grafana")
            }
        }
    }

    @Test("password grant: wrong password or unknown user get 401 invalid_grant, like Keycloak")
    func passwordGrant() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            issuer.addUser(.init(username: "bob"))  // no password
            for (username, password) in [("alice", "wrong"), ("nobody", "x"), ("bob", "")] {
                let response = try await http.raw(issuer.tokenURL, method: .POST, form: formBody([
                    ("grant_type", "password"), ("client_id", "verrazzano-pkce"), ("username", username),
                    ("password", password), ("scope", "openid"),
                ]))
                #expect(response.status == 401)
                #expect(response.body.contains(#""error":"invalid_grant""#))
            }
            #expect(issuer.passwordGrantCount == 3)
        }
    }

    @Test("a confidential client needs its secret")
    func confidentialClient() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            issuer.setClientSecret("top-secret", for: "verrazzano-pkce")
            let client = LoginFixture.tokenClient(try await LoginFixture.provider(for: issuer, httpClient: http), httpClient: http)
            await #expect(throws: OIDCTokenEndpointError.invalidClient) {
                try await client.passwordGrant(username: "alice", password: "alice-password", clientID: "verrazzano-pkce")
            }
            await #expect(throws: OIDCTokenEndpointError.invalidClient) {
                try await client.passwordGrant(
                    username: "alice", password: "alice-password", clientID: "verrazzano-pkce", clientSecret: OIDCClientSecret("wrong")
                )
            }
            _ = try await client.passwordGrant(
                username: "alice", password: "alice-password", clientID: "verrazzano-pkce", clientSecret: OIDCClientSecret("top-secret")
            )
        }
    }

    @Test("end session records the request, ends the session and its cookie, and redirects")
    func endSession() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            issuer.setAutoLoginUser("alice")
            let client = LoginFixture.tokenClient(try await LoginFixture.provider(for: issuer, httpClient: http), httpClient: http)
            let login = OIDCAuthorizationRequest()
            let authorization = try await authorize(issuer, http, login)
            let cookie = try #require(sessionCookie(in: authorization))
            let tokens = try await client.exchangeCode(
                try #require(authorization.locationQuery["code"]), codeVerifier: login.codeVerifier,
                redirectURI: LoginFixture.redirectURI, clientID: "verrazzano-pkce"
            )
            let idToken = try #require(tokens.idToken)
            let logout = try await http.raw(
                issuer.endSessionURL + "?" + formBody([
                    ("id_token_hint", idToken), ("post_logout_redirect_uri", "https://grafana.example.com/"),
                    ("client_id", "verrazzano-pkce"), ("state", "s1"),
                ]),
                headers: [("Cookie", "\(OIDCIssuerDouble.sessionCookieName)=\(cookie)")]
            )
            #expect(logout.status == 302)
            #expect(logout.header("Location") == "https://grafana.example.com/?state=s1")
            #expect(logout.header("Set-Cookie")?.contains("Max-Age=0") == true)
            let recorded = try #require(issuer.endSessionRequests.first)
            #expect(recorded.idTokenHint == idToken)
            #expect(recorded.postLogoutRedirectURI == "https://grafana.example.com/")
            #expect(recorded.clientID == "verrazzano-pkce")
            #expect(recorded.endedSessionID == cookie)
            #expect(issuer.activeSessionCount == 0)

            // The session is over: its refresh token fails and the cookie no longer signs in.
            await #expect(throws: OIDCTokenEndpointError.invalidGrant) {
                try await client.refresh(try #require(tokens.refreshToken), clientID: "verrazzano-pkce")
            }
            issuer.setAutoLoginUser(nil)
            #expect(try await authorize(issuer, http, OIDCAuthorizationRequest(), cookie: cookie).status == 200)

            // Without a redirect target: 200; the hint alone identifies the session.
            let session = issuer.startSession(for: "alice")
            let hint = issuer.minter.mint(claims: ["sid": .string(session)])
            let plain = try await http.raw(issuer.endSessionURL + "?" + formBody([("id_token_hint", hint)]))
            #expect(plain.status == 200)
            #expect(issuer.endSessionRequests.last?.endedSessionID == session)
            #expect(issuer.activeSessionCount == 0)
        }
    }

    @Test("endSessions(of:) signs a user out everywhere")
    func adminSignOut() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            let client = LoginFixture.tokenClient(try await LoginFixture.provider(for: issuer, httpClient: http), httpClient: http)
            let tokens = try await client.passwordGrant(username: "alice", password: "alice-password", clientID: "verrazzano-pkce")
            _ = issuer.startSession(for: "alice")
            #expect(issuer.activeSessionCount == 2)
            issuer.endSessions(of: "alice")
            #expect(issuer.activeSessionCount == 0)
            await #expect(throws: OIDCTokenEndpointError.invalidGrant) {
                try await client.refresh(try #require(tokens.refreshToken), clientID: "verrazzano-pkce")
            }
        }
    }

    @Test("the token endpoint can fail on demand while the rest of the issuer works")
    func failingTokenEndpoint() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            issuer.setTokenEndpointBehaviour(.fail(status: 503))
            let client = LoginFixture.tokenClient(try await LoginFixture.provider(for: issuer, httpClient: http), httpClient: http)
            await #expect(throws: OIDCTokenEndpointError.serverError) {
                try await client.passwordGrant(username: "alice", password: "alice-password", clientID: "verrazzano-pkce")
            }
            issuer.setTokenEndpointBehaviour(.normal)
            _ = try await client.passwordGrant(username: "alice", password: "alice-password", clientID: "verrazzano-pkce")
        }
    }
}

/// The claims of a compact JWS, without verification.
func claims(of token: String) throws -> [String: StrictJSONValue] {
    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    try #require(parts.count == 3)
    var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while base64.count % 4 != 0 { base64 += "=" }
    let data = try #require(Data(base64Encoded: base64))
    return try #require(StrictJSONValue(parsing: Array(data))?.objectValue)
}
