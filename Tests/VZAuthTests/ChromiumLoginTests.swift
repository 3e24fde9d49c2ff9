import Foundation
import Testing
import VZAuthTestSupport
@testable import vzauth

/// A real headless Chromium through the OIDC proxy: the issuer's login form, back to the console, logout at the
/// provider and back to `--post-logout-redirect-url`.
@Suite("OIDC proxy in a real headless Chromium", .serialized)
struct ChromiumLoginTests {
    /// Where the provider sends the browser after logout: a page of the issuer double's host, outside the proxy.
    private static let signedOutPath = "/signed-out"

    @Test("login through the provider's form and logout through its end-session endpoint, in Chromium")
    func loginAndLogout() async throws {
        let chromium = try #require(HeadlessChromium.executable, """
            Chromium is not installed: install Debian's chromium (apt-get install -y chromium; .ci/run does) or \
            set CHROMIUM to a Chromium binary
            """)
        try await OIDCProxyHarness.withIssuer { issuer in
            issuer.setAutoLoginUser(nil)  // the provider shows its login form
            let signedOut = issuer.baseURL + Self.signedOutPath
            issuer.setHandler(path: Self.signedOutPath) { _ in
                OIDCIssuerDouble.Response(status: 200, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(
                    "<!DOCTYPE html><html><head><title>Signed out</title></head><body><h1>You have signed out of the console</h1></body></html>".utf8))
            }
            // The proxy is reached as localhost, the provider as 127.0.0.1: two sites, as in a real deployment, so
            // each keeps its own cookies.
            try await OIDCProxyHarness.with(issuer: issuer, host: "localhost",
                                            extraArguments: ["--post-logout-redirect-url", signedOut]) { harness in
                try await HeadlessChromium.with(executable: chromium) { browser in
                    try await Self.flow(browser, harness, issuer: issuer, signedOut: signedOut)
                }
            }
        }
    }

    private static func flow(_ browser: HeadlessChromium, _ harness: OIDCProxyHarness, issuer: OIDCIssuerDouble,
                             signedOut: String) async throws {
        let consolePage = harness.url("/d/abc?orgId=1")
        let authorizationEndpoint = issuer.issuer + "/protocol/openid-connect/auth?"

        // 1. The console sends the browser to the provider's login form.
        try await browser.navigate(to: consolePage)
        let login = try await browser.waitForPage { $0.url.hasPrefix(authorizationEndpoint) }
        #expect(login.title == "Sign in to verrazzano-system", "\(login)")
        let loginQuery = try #require(URLComponents(string: login.url)?.queryItems)
        func parameter(_ name: String) -> String? { loginQuery.first { $0.name == name }?.value }
        #expect(parameter("client_id") == "verrazzano-pkce")
        #expect(parameter("redirect_uri") == harness.url("/_authentication_callback"))
        #expect(parameter("code_challenge_method") == "S256")
        #expect(parameter("state") != nil && parameter("nonce") != nil)
        #expect(issuer.interactiveLoginCount == 0)
        #expect(harness.console.lastRequest == nil, "nothing reaches the console before the login")

        // 2. A wrong password: the provider's form again, with its error, and no session.
        try await Self.submitLogin(browser, username: "alice", password: "not-her-password")
        let retry = try await browser.waitForPage { $0.text.contains("Invalid username or password.") }
        #expect(retry.url.hasPrefix(authorizationEndpoint), "\(retry)")
        #expect(issuer.interactiveLoginCount == 0)

        // 3. The right password: through the callback back to the page first asked for, which the console serves
        //    with the identity headers the proxy added.
        try await Self.submitLogin(browser, username: "alice", password: "wonderland")
        let console = try await browser.waitForPage { $0.url == consolePage }
        let identity = try #require(try JSONSerialization.jsonObject(with: Data(console.text.utf8)) as? [String: Any],
                                    "the console's answer: \(console)")
        #expect(identity["login"] as? String == "alice")
        #expect(identity["forwardedUser"] as? String == "alice")
        #expect(identity["forwardedGroups"] as? String == "verrazzano-admins,team-a")
        #expect(identity["roles"] as? String == "vz_api_access")
        #expect(identity["path"] as? String == "/d/abc?orgId=1")
        #expect(identity["authorization"] as? Bool == false)
        #expect(identity["cookies"] is NSNull, "the proxy's cookies stay with the proxy: \(identity["cookies"] ?? "")")
        #expect(issuer.interactiveLoginCount == 1)
        #expect(issuer.codeExchangeCount == 1)
        let loggedIn = try await browser.cookies(for: harness.baseURL + "/")
        #expect(loggedIn["vz_authn"] != nil, "\(loggedIn.keys.sorted())")
        #expect(try await browser.cookies(for: issuer.baseURL + "/")[OIDCIssuerDouble.sessionCookieName] != nil)

        // 4. Logout: the proxy's session ends, the provider's end-session endpoint ends its own and sends the
        //    browser to --post-logout-redirect-url.
        try await browser.navigate(to: harness.url("/_logout"))
        let after = try await browser.waitForPage { $0.url.hasPrefix(signedOut) }
        #expect(after.title == "Signed out")
        #expect(after.text.contains("You have signed out of the console"))
        let endSession = try #require(issuer.endSessionRequests.first)
        #expect(issuer.endSessionRequests.count == 1)
        #expect(endSession.idTokenHint != nil)
        #expect(endSession.postLogoutRedirectURI == signedOut)
        #expect(endSession.endedSessionID != nil, "the provider's session ended")
        let state = try #require(endSession.state)
        #expect(URLComponents(string: after.url)?.queryItems?.first { $0.name == "state" }?.value == state)
        let loggedOut = try await browser.cookies(for: harness.baseURL + "/")
        #expect(loggedOut["vz_authn"] == nil, "\(loggedOut.keys.sorted())")
        #expect(try await browser.cookies(for: issuer.baseURL + "/")[OIDCIssuerDouble.sessionCookieName] == nil)
        #expect(issuer.activeSessionCount == 0)

        // 5. The console again: a new login at the provider (no session left on either side).
        try await browser.navigate(to: consolePage)
        let again = try await browser.waitForPage { $0.url.hasPrefix(authorizationEndpoint) }
        #expect(again.title == "Sign in to verrazzano-system", "\(again)")
        #expect(issuer.ssoLoginCount == 0)
    }

    /// Fills in the provider's login form and clicks its button, as a user would.
    static func submitLogin(_ browser: HeadlessChromium, username: String, password: String) async throws {
        let script = """
            document.getElementById('username').value = \(Self.javaScriptString(username));
            document.getElementById('password').value = \(Self.javaScriptString(password));
            document.getElementById('kc-login').click();
            'submitted'
            """
        #expect(try await browser.evaluate(script) as? String == "submitted")
    }

    private static func javaScriptString(_ text: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [text])
        return String(decoding: data ?? Data("[\"\"]".utf8), as: UTF8.self).dropFirst().dropLast().description
    }
}
