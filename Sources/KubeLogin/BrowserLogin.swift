import Foundation
import OIDC

/// The browser login of `vzauth login` (RFC 8252): the authorization-code flow with PKCE (S256), `state` and
/// `nonce`, redirected to a loopback server on `127.0.0.1`.
struct BrowserLogin: Sendable {
    let configuration: LoginConfiguration
    let interaction: LoginInteraction

    func run(client: OIDCTokenClient, discovery: OIDCDiscoveryDocument) async throws(KubeLoginError) -> OIDCTokenResponse {
        let request = OIDCAuthorizationRequest()
        let server = try await LoopbackCallbackServer.start(port: self.configuration.listenPort, expectedState: request.state)
        let outcome: LoopbackCallbackServer.Outcome
        do throws(KubeLoginError) {
            guard let url = request.authorizationURL(
                discovery: discovery, clientID: self.configuration.clientID, redirectURI: server.redirectURI,
                scope: self.configuration.scope)
            else {
                throw KubeLoginError(
                    "the OpenID provider \(self.configuration.issuer) publishes no authorization_endpoint; use --grant password or --grant device")
            }
            self.interaction.message("vzauth: log in at this URL (waiting for the browser on \(server.redirectURI)):")
            self.interaction.message(url)
            if self.configuration.opensBrowser {
                self.interaction.openBrowser(url)
            }
            outcome = try await server.waitForCallback(timeout: self.configuration.loginTimeout)
        } catch {
            await server.close()
            throw error
        }
        await server.close()
        switch outcome {
        case .providerError(let error, let description):
            let detail = description.map { ": " + Self.printable($0) } ?? ""
            throw KubeLoginError("the provider ended the login with \(Self.printable(error))\(detail); run vzauth login again")
        case .code(let code):
            let response: OIDCTokenResponse
            do throws(OIDCTokenEndpointError) {
                response = try await client.exchangeCode(
                    code, codeVerifier: request.codeVerifier, redirectURI: server.redirectURI,
                    clientID: self.configuration.clientID, clientSecret: self.configuration.clientSecret)
            } catch {
                throw KubeLoginFlow.loginError(error, configuration: self.configuration)
            }
            // The ID token must belong to this login (OpenID Connect Core 3.1.3.7, step 11).
            if let idToken = response.idToken, JWTPayload.nonce(of: idToken) != request.nonce {
                throw KubeLoginError("the provider's ID token does not carry this login's nonce; run vzauth login again")
            }
            return response
        }
    }

    /// At most 100 printable ASCII characters of a provider's text.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(100).map { (0x20...0x7E).contains($0.value) ? $0 : "?" }))
    }
}
