@testable import DevelopmentIssuer
import Foundation
import Testing

@Suite("Development issuer: registered redirect URIs, as Keycloak checks them")
struct RedirectURITests {
    @Test("Exact match, trailing * prefix, loopback port ignored", arguments: [
        ("https://console.example.com/_oidc/callback", true),
        ("https://console.example.com/_oidc/callback?x=1", false),
        ("https://console.example.com/_oidc/callbackx", false),
        ("https://console.example.com:8443/_oidc/callback", false),
        ("https://app.example.com/any/path", true),
        ("https://app.example.com.evil.com/", false),
        ("http://127.0.0.1:53211/callback", true),
        ("http://127.0.0.1/callback", true),
        ("http://[::1]:4000/callback", false),
        ("http://localhost:4000/x", true),
        ("http://127.0.0.1:8000@evil.example.com/", false),
        ("https://127.0.0.1:53211/callback", false),
        ("https://console.example.com/_oidc/callback#fragment", false),
        ("", false),
    ])
    func matcher(uri: String, allowed: Bool) {
        let patterns = [
            "https://console.example.com/_oidc/callback", "https://app.example.com/*", "http://127.0.0.1:*/*",
            "http://localhost/*",
        ]
        #expect(RedirectURIMatcher.matches(uri, patterns: patterns) == allowed)
    }

    private func authorize(_ issuer: DevelopmentIssuer, client: String = "verrazzano-pkce", redirectURI: String) async throws -> HTTPAnswer {
        let query = formEncode([
            ("client_id", client), ("redirect_uri", redirectURI), ("response_type", "code"), ("scope", "openid"),
            ("code_challenge", String(repeating: "a", count: 43)), ("code_challenge_method", "S256"), ("state", "s"),
        ])
        return try await withHTTP { try await $0.get(issuer.issuer + "/protocol/openid-connect/auth?" + query) }
    }

    @Test("A sandbox issuer refuses unregistered redirect URIs and allows the loopback and proxy ones")
    func enforced() async throws {
        let configuration = DevelopmentIssuer.Configuration.sandbox(
            users: DevelopmentIssuer.User.builtInUsers(), proxyRedirectURIs: ["http://127.0.0.1:9443/_authentication_callback"])
        try await withIssuer(configuration) { issuer in
            let loopback = try await self.authorize(issuer, redirectURI: "http://127.0.0.1:40123/callback")
            #expect(loopback.status == 200)
            #expect(loopback.text.contains("kc-form-login"))
            let proxy = try await self.authorize(issuer, redirectURI: "http://127.0.0.1:9443/_authentication_callback")
            #expect(proxy.status == 200)
            let foreign = try await self.authorize(issuer, redirectURI: "https://evil.example.com/callback")
            #expect(foreign.status == 400)
            #expect(foreign.text.contains("Invalid parameter: redirect_uri"))
            let otherClient = try await self.authorize(issuer, client: "verrazzano-pg", redirectURI: "http://127.0.0.1:40123/callback")
            #expect(otherClient.status == 400)

            let logout = try await withHTTP {
                try await $0.get(issuer.issuer + "/protocol/openid-connect/logout?"
                    + formEncode([("client_id", "verrazzano-pkce"), ("post_logout_redirect_uri", "https://evil.example.com/")]))
            }
            #expect(logout.status == 400)
            #expect(logout.text.contains("Invalid redirect uri"))
            let goodLogout = try await withHTTP {
                try await $0.get(issuer.issuer + "/protocol/openid-connect/logout?"
                    + formEncode([("client_id", "verrazzano-pkce"), ("post_logout_redirect_uri", "http://127.0.0.1:9443/_authentication_callback")]))
            }
            #expect(goodLogout.status == 302)
        }
    }

    @Test("Without enforcement (the tests' default) any redirect URI is accepted")
    func notEnforced() async throws {
        var configuration = DevelopmentIssuer.Configuration.sandbox(users: DevelopmentIssuer.User.builtInUsers())
        configuration.enforcesRedirectURIs = false
        try await withIssuer(configuration) { issuer in
            let answer = try await self.authorize(issuer, redirectURI: "https://evil.example.com/callback")
            #expect(answer.status == 200)
        }
    }

    @Test("The login page says what it is and shows a clear error for a wrong password")
    func loginPage() async throws {
        let configuration = DevelopmentIssuer.Configuration.sandbox(users: DevelopmentIssuer.User.builtInUsers(passwords: ["alice": "wonderland"]))
        try await withIssuer(configuration) { issuer in
            let page = try await self.authorize(issuer, redirectURI: "http://127.0.0.1:40123/callback")
            #expect(page.text.contains("<title>Sign in to verrazzano-system</title>"))
            #expect(page.text.contains("development issuer — not for production"))
            #expect(page.text.contains("<label for=\"password\">Password</label>"))
            #expect(!page.text.contains("<script"))
            let query = formEncode([
                ("client_id", "verrazzano-pkce"), ("redirect_uri", "http://127.0.0.1:40123/callback"), ("response_type", "code"),
                ("code_challenge", String(repeating: "a", count: 43)), ("code_challenge_method", "S256"), ("state", "s"),
            ])
            let url = issuer.issuer + "/protocol/openid-connect/auth?" + query
            let wrong = try await withHTTP { try await $0.postForm(url, [("username", "alice"), ("password", "nope")]) }
            #expect(wrong.status == 200)
            #expect(wrong.text.contains("class=\"error\" role=\"alert\">Invalid username or password.</span>"))
            #expect(wrong.text.contains("value=\"alice\""))
            let right = try await withHTTP { try await $0.postForm(url, [("username", "alice"), ("password", "wonderland")]) }
            #expect(right.status == 302)
            #expect(right.location?.hasPrefix("http://127.0.0.1:40123/callback?code=") == true)
        }
    }
}
