import Foundation
import KubeLogin
import OIDC
import Testing
import VZAuthTestSupport

@Suite("PKCE and the loopback redirect")
struct CallbackServerTests {
    @Test("PKCE is S256 (RFC 7636 appendix B); state, nonce and verifier are fresh 43-character values")
    func pkce() {
        #expect(OIDCAuthorizationRequest.codeChallenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
            == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        let first = OIDCAuthorizationRequest(), second = OIDCAuthorizationRequest()
        #expect(first.state.count == 43 && first.codeVerifier.count == 43 && first.nonce.count == 43)
        #expect(first.state != second.state && first.codeVerifier != second.codeVerifier)
        let url = first.authorizationURL(endpoint: "https://kc/auth", clientID: "verrazzano-pkce", redirectURI: "http://127.0.0.1:4711/callback")
        #expect(url.contains("code_challenge_method=S256") && url.contains("code_challenge=\(first.codeChallenge)"))
        #expect(!url.contains(first.codeVerifier))
    }

    @Test("a callback is this login's only with the right state; other paths and methods are refused", arguments: [
        ("GET", "/callback?code=abc&state=S1", CallbackRequest.code("abc")),
        ("GET", "/callback?state=S1&code=a%2Bb+c", CallbackRequest.code("a+b c")),
        ("GET", "/callback?error=access_denied&error_description=User+cancelled&state=S1",
         CallbackRequest.providerError(error: "access_denied", description: "User cancelled")),
        ("GET", "/callback?code=abc&state=S2", CallbackRequest.refused(status: 400, message: "")),
        ("GET", "/callback?code=abc", CallbackRequest.refused(status: 400, message: "")),
        ("GET", "/callback?error=access_denied", CallbackRequest.refused(status: 400, message: "")),
        ("GET", "/callback?state=S1", CallbackRequest.refused(status: 400, message: "")),
        ("GET", "/callback?code=a&code=b&state=S1", CallbackRequest.refused(status: 400, message: "")),
        ("POST", "/callback?code=abc&state=S1", CallbackRequest.refused(status: 405, message: "")),
        ("GET", "/favicon.ico", CallbackRequest.refused(status: 404, message: "")),
        ("GET", "/callbackx?code=abc&state=S1", CallbackRequest.refused(status: 404, message: "")),
    ])
    func evaluate(method: String, uri: String, expected: CallbackRequest) {
        let result = CallbackRequest.evaluate(method: method, uri: uri, expectedState: "S1")
        switch (result, expected) {
        case (.refused(let status, _), .refused(let expectedStatus, _)):
            #expect(status == expectedStatus)
        default:
            #expect(result == expected)
        }
    }

    @Test("the server refuses wrong states and stray requests, keeps waiting, completes with the right one, then refuses more")
    func server() async throws {
        let server = try await LoopbackCallbackServer.start(expectedState: "the-state")
        #expect(server.port > 0)
        #expect(server.redirectURI == "http://127.0.0.1:\(server.port)/callback")
        let browser = BrowserClient()
        let base = "http://127.0.0.1:\(server.port)"
        #expect(try await browser.get(base + "/favicon.ico").status == 404)
        let wrong = try await browser.get(base + "/callback?code=stolen&state=other")
        #expect(wrong.status == 400)
        #expect(wrong.text.contains("wrong or missing state"))
        let right = try await browser.get(base + "/callback?code=the-code&state=the-state&session_state=x")
        #expect(right.status == 200)
        #expect(right.text.contains("You are logged in"))
        #expect(try await server.waitForCallback(timeout: .seconds(5)) == .code("the-code"))
        #expect(try await browser.get(base + "/callback?code=again&state=the-state").status == 409)
        await server.close()
    }

    @Test("no callback within the timeout is an error that says what to do")
    func timeout() async throws {
        let server = try await LoopbackCallbackServer.start(expectedState: "s")
        await #expect(throws: KubeLoginError.self) {
            _ = try await server.waitForCallback(timeout: .milliseconds(200))
        }
        await server.close()
    }

    @Test("a port in use is an error naming --listen-port")
    func portInUse() async throws {
        let first = try await LoopbackCallbackServer.start(expectedState: "s")
        do {
            let second = try await LoopbackCallbackServer.start(port: first.port, expectedState: "s")
            await second.close()
            Issue.record("bound a port in use")
        } catch {
            #expect(error.message.contains("--listen-port"))
        }
        await first.close()
    }
}
