import AsyncHTTPClient
import Foundation
import OIDC
import Testing
import VZAuthTestSupport

@Suite("Login flow end to end against the issuer double")
struct LoginFlowEndToEndTests {
    @Test("authorize with PKCE, exchange the code, verify the ID token's nonce, refresh, password grant, logout")
    func fullFlow() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            issuer.setAllowedClients(["verrazzano-pkce", "verrazzano-pg"])
            issuer.setAutoLoginUser("alice")
            let provider = try await LoginFixture.provider(for: issuer, httpClient: http)
            let tokenClient = LoginFixture.tokenClient(provider, httpClient: http)
            let authenticator = LoginFixture.authenticator(provider, issuer: issuer)
            let discovery = try #require(provider.discoveryDocument)

            // 1. The browser is sent to the authorization endpoint and comes back with a code.
            let login = OIDCAuthorizationRequest()
            let url = try #require(login.authorizationURL(discovery: discovery, clientID: "verrazzano-pkce", redirectURI: LoginFixture.redirectURI))
            let callback = try await http.raw(url)
            #expect(callback.status == 302)
            #expect(callback.header("Location")?.hasPrefix(LoginFixture.redirectURI + "?") == true)
            #expect(callback.locationQuery["state"] == login.state)
            let code = try #require(callback.locationQuery["code"])
            let keycloakSession = try #require(sessionCookie(in: callback))
            #expect(issuer.interactiveLoginCount == 1)

            // 2. The callback exchanges the code with the verifier.
            let tokens = try await tokenClient.exchangeCode(
                code, codeVerifier: login.codeVerifier, redirectURI: LoginFixture.redirectURI, clientID: "verrazzano-pkce"
            )
            #expect(issuer.codeExchangeCount == 1)
            #expect(tokens.tokenType == "Bearer")

            // 3. The ID token verifies with the login's nonce (and only with it).
            let idToken = try #require(tokens.idToken)
            let identity = try await authenticator.authenticateIDToken(idToken, expectedNonce: login.nonce)
            #expect(identity.subject == LoginFixture.alice.subject)
            #expect(identity.username == LoginFixture.alice.subject)
            #expect(identity.sessionID == keycloakSession)
            #expect(identity.roles.contains("vz_api_access"))
            await #expect(throws: OIDCError.wrongNonce) {
                try await authenticator.authenticateIDToken(idToken, expectedNonce: OIDCAuthorizationRequest().nonce)
            }
            #expect(try await authenticator.authenticate(tokens.accessToken).sessionID == keycloakSession)

            // 4. Refresh: new tokens for the same session; the refreshed ID token still carries the nonce.
            let refreshed = try await tokenClient.refresh(try #require(tokens.refreshToken), clientID: "verrazzano-pkce")
            #expect(issuer.refreshCount == 1)
            #expect(refreshed.refreshToken != tokens.refreshToken)
            let refreshedIdentity = try await authenticator.authenticateIDToken(try #require(refreshed.idToken), expectedNonce: login.nonce)
            #expect(refreshedIdentity.sessionID == keycloakSession)

            // 5. Another console: single sign-on with the Keycloak cookie, no login page.
            let second = OIDCAuthorizationRequest()
            let sso = try await authorize(issuer, http, second, cookie: keycloakSession)
            #expect(sso.status == 302)
            #expect(issuer.ssoLoginCount == 1)
            #expect(issuer.interactiveLoginCount == 1)

            // 6. A wrong verifier is refused: the grant is rejected, HTTP 401 towards the user.
            do {
                _ = try await tokenClient.exchangeCode(
                    try #require(sso.locationQuery["code"]), codeVerifier: login.codeVerifier,
                    redirectURI: LoginFixture.redirectURI, clientID: "verrazzano-pkce"
                )
                Issue.record("wrong verifier accepted")
            } catch let error as OIDCTokenEndpointError {
                #expect(error == .invalidGrant)
                #expect(error.kind == .rejected)
                #expect(error.httpStatus == 401)
                #expect(error.oauthError == .invalidGrant)
            }

            // 7. Password grant (machine clients, verrazzano-pg).
            let password = try await tokenClient.passwordGrant(username: "alice", password: "alice-password", clientID: "verrazzano-pg")
            #expect(issuer.passwordGrantCount == 1)
            let machine = try await authenticator.authenticate(password.accessToken)
            #expect(machine.subject == LoginFixture.alice.subject)
            await #expect(throws: OIDCTokenEndpointError.invalidGrant) {
                try await tokenClient.passwordGrant(username: "alice", password: "nope", clientID: "verrazzano-pg")
            }

            // 8. The token endpoint becomes unavailable: a 5xx error, the session is not declared over.
            issuer.setTokenEndpointBehaviour(.fail(status: 503))
            do {
                _ = try await tokenClient.refresh(try #require(refreshed.refreshToken), clientID: "verrazzano-pkce")
                Issue.record("refresh succeeded against a failing endpoint")
            } catch let error as OIDCTokenEndpointError {
                #expect(error.kind == .unavailable)
                #expect((500...599).contains(error.httpStatus))
            }
            issuer.setTokenEndpointBehaviour(.normal)

            // 9. Back-channel logout names the session of the ID token.
            let logoutVerifier = LogoutTokenVerifier(
                keySource: provider,
                policy: TokenPolicy(issuer: issuer.issuer, allowedClientIDs: ["verrazzano-pkce"])
            )
            let logout = try await logoutVerifier.verify(issuer.mintLogoutToken(subject: identity.subject, sessionID: identity.sessionID))
            #expect(logout.sessionID == identity.sessionID)
            #expect(logout.subject == identity.subject)

            // 10. RP-initiated logout ends the Keycloak session: the refresh token stops working.
            let endSession = try #require(discovery.endSessionEndpoint)
            #expect(endSession == issuer.endSessionURL)
            let ended = try await http.raw(endSession + "?" + formBody([("id_token_hint", idToken)]))
            #expect(ended.status == 200)
            do {
                _ = try await tokenClient.refresh(try #require(refreshed.refreshToken), clientID: "verrazzano-pkce")
                Issue.record("refresh after logout succeeded")
            } catch let error as OIDCTokenEndpointError {
                #expect(error == .invalidGrant)
            }
        }
    }
}
