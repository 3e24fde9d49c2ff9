import AsyncHTTPClient
import Foundation
import OIDC
import Testing
import VZAuthTestSupport

/// A crafted token endpoint answer and what the client must make of it.
struct TokenEndpointAnswer: Sendable, CustomTestStringConvertible {
    let name: String
    let status: Int
    let contentType: String
    let body: String
    let expected: OIDCTokenEndpointError
    let kind: OIDCTokenEndpointError.Kind
    let httpStatus: Int

    init(_ name: String, _ status: Int, _ body: String, contentType: String = "application/json",
         _ expected: OIDCTokenEndpointError, _ kind: OIDCTokenEndpointError.Kind, _ httpStatus: Int) {
        self.name = name
        self.status = status
        self.contentType = contentType
        self.body = body
        self.expected = expected
        self.kind = kind
        self.httpStatus = httpStatus
    }

    var testDescription: String { "\(self.name) → \(self.expected.metricLabel)" }
}

let tokenEndpointAnswers: [TokenEndpointAnswer] = [
    .init("invalid_grant", 400, #"{"error":"invalid_grant","error_description":"Code not valid"}"#, .invalidGrant, .rejected, 401),
    .init("invalid_client (401)", 401, #"{"error":"invalid_client"}"#, .invalidClient, .rejected, 401),
    .init("unauthorized_client", 400, #"{"error":"unauthorized_client"}"#, .unauthorizedClient, .rejected, 401),
    .init("invalid_request", 400, #"{"error":"invalid_request"}"#, .invalidRequest, .rejected, 401),
    .init("unsupported_grant_type", 400, #"{"error":"unsupported_grant_type"}"#, .unsupportedGrantType, .rejected, 401),
    .init("invalid_scope", 400, #"{"error":"invalid_scope"}"#, .invalidScope, .rejected, 401),
    .init("unknown OAuth code", 400, #"{"error":"account_disabled_by_admin"}"#, .otherOAuthError, .rejected, 401),
    .init("temporarily_unavailable", 400, #"{"error":"temporarily_unavailable"}"#, .serverError, .unavailable, 502),
    .init("400 with HTML", 400, "<html>Bad Request</html>", contentType: "text/html", .unexpectedStatus, .unavailable, 502),
    .init("400 without error member", 400, #"{"message":"no"}"#, .unexpectedStatus, .unavailable, 502),
    .init("403 with an OAuth error", 403, #"{"error":"invalid_grant"}"#, .invalidGrant, .rejected, 401),
    .init("403 invalid_client (a confidential client without its secret)", 403, #"{"error":"invalid_client"}"#, .invalidClient, .rejected, 401),
    .init("403 without an OAuth error", 403, "<html>Forbidden</html>", contentType: "text/html", .unexpectedStatus, .unavailable, 502),
    .init("429", 429, "slow down", contentType: "text/plain", .unexpectedStatus, .unavailable, 502),
    .init("204", 204, "", .unexpectedStatus, .unavailable, 502),
    .init("302 redirect", 302, "", .unexpectedStatus, .unavailable, 502),
    .init("500", 500, "Internal Server Error", contentType: "text/plain", .serverError, .unavailable, 502),
    .init("503 with an OAuth error", 503, #"{"error":"invalid_grant"}"#, .serverError, .unavailable, 502),
    .init("200 HTML", 200, "<html>Login</html>", contentType: "text/html", .notJSON, .unavailable, 502),
    .init("200 JSON array", 200, "[1,2]", .notJSON, .unavailable, 502),
    .init("200 duplicate members", 200, #"{"access_token":"a","access_token":"b"}"#, .notJSON, .unavailable, 502),
    .init("200 without access_token", 200, #"{"token_type":"Bearer"}"#, .malformedResponse, .invalidResponse, 502),
    .init("200 empty access_token", 200, #"{"access_token":""}"#, .malformedResponse, .invalidResponse, 502),
    .init("200 access_token a number", 200, #"{"access_token":5}"#, .malformedResponse, .invalidResponse, 502),
    .init("200 expires_in a string", 200, #"{"access_token":"a","expires_in":"300"}"#, .malformedResponse, .invalidResponse, 502),
    .init("200 expires_in negative", 200, #"{"access_token":"a","expires_in":-1}"#, .malformedResponse, .invalidResponse, 502),
    .init("200 id_token an object", 200, #"{"access_token":"a","id_token":{}}"#, .malformedResponse, .invalidResponse, 502),
]

private let tokenPath = "/auth/realms/verrazzano-system/protocol/openid-connect/token"

@Suite("Token endpoint client")
struct TokenClientTests {
    @Test("each kind of answer maps to its error, kind, status and label", arguments: tokenEndpointAnswers)
    func errorMapping(_ answer: TokenEndpointAnswer) async throws {
        try await LoginFixture.withIssuer { issuer, http in
            issuer.setHandler(path: tokenPath) { _ in
                var headers: [(name: String, value: String)] = [("Content-Type", answer.contentType)]
                if answer.status == 302 {
                    headers.append(("Location", "/elsewhere"))
                }
                return OIDCIssuerDouble.Response(status: answer.status, headers: headers, body: Array(answer.body.utf8))
            }
            let client = LoginFixture.tokenClient(try await LoginFixture.provider(for: issuer, httpClient: http), httpClient: http)
            do throws(OIDCTokenEndpointError) {
                let response = try await client.refresh("the-refresh-token", clientID: "verrazzano-pkce")
                Issue.record("accepted: \(response)")
            } catch {
                #expect(error == answer.expected)
                #expect(error.kind == answer.kind)
                #expect(error.httpStatus == answer.httpStatus)
                #expect(error.metricLabel == answer.expected.metricLabel)
                #expect(error.upstreamStatus == answer.status)
                #expect((error.oauthError != nil) == (answer.kind == .rejected))
                #expect(!error.description.contains("the-refresh-token"))
            }
        }
    }

    @Test("unknown OAuth codes are reported as other; known ones by name")
    func oauthErrorCodes() {
        #expect(OIDCTokenEndpointError.otherOAuthError.oauthError == .other)
        #expect(OIDCTokenEndpointError.invalidGrant.oauthError == .invalidGrant)
        #expect(OIDCTokenEndpointError.timeout.oauthError == nil)
    }

    @Test("a full token response is parsed; its description shows no token")
    func success() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            issuer.setHandler(path: tokenPath) { _ in
                .json(#"""
                {"access_token":"AT-123","token_type":"Bearer","expires_in":300,"refresh_token":"RT-456",
                 "refresh_expires_in":1800,"id_token":"IT-789","scope":"openid profile","not-before-policy":0,
                 "session_state":"abc"}
                """#)
            }
            let client = LoginFixture.tokenClient(try await LoginFixture.provider(for: issuer, httpClient: http), httpClient: http)
            let response = try await client.exchangeCode("c", codeVerifier: "v", redirectURI: LoginFixture.redirectURI, clientID: "verrazzano-pkce")
            #expect(response.accessToken == "AT-123")
            #expect(response.tokenType == "Bearer")
            #expect(response.expiresIn == 300)
            #expect(response.refreshToken == "RT-456")
            #expect(response.refreshExpiresIn == 1800)
            #expect(response.idToken == "IT-789")
            #expect(response.scope == "openid profile")
            #expect(response.accessTokenExpiresAt == response.receivedAt.addingTimeInterval(300))
            #expect(response.refreshTokenExpiresAt == response.receivedAt.addingTimeInterval(1800))
            for secret in ["AT-123", "RT-456", "IT-789"] {
                #expect(!response.description.contains(secret))
                #expect(!"\(response)".contains(secret))
            }
        }
    }

    @Test("refresh_expires_in 0 (offline token) means no expiry; optional members may be absent or null")
    func minimalResponse() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            issuer.setHandler(path: tokenPath) { _ in .json(#"{"access_token":"a","refresh_expires_in":0,"id_token":null}"#) }
            let client = LoginFixture.tokenClient(try await LoginFixture.provider(for: issuer, httpClient: http), httpClient: http)
            let response = try await client.refresh("r", clientID: "verrazzano-pkce")
            #expect(response.refreshTokenExpiresAt == nil)
            #expect(response.accessTokenExpiresAt == nil)
            #expect(response.idToken == nil)
            #expect(response.tokenType == nil)
        }
    }

    @Test("requests are form-encoded POSTs asking for JSON; public clients send client_id in the body", arguments: ["code", "refresh", "password"])
    func requestFormat(_ grant: String) async throws {
        try await LoginFixture.withIssuer { issuer, http in
            let requests = Recorder<OIDCIssuerDouble.Request>()
            issuer.setHandler(path: tokenPath) { request in
                requests.record(request)
                return .json(#"{"access_token":"a"}"#)
            }
            let client = LoginFixture.tokenClient(try await LoginFixture.provider(for: issuer, httpClient: http), httpClient: http)
            let expected: [String: String]
            switch grant {
            case "code":
                _ = try await client.exchangeCode("co de+&=", codeVerifier: "ver/ifier", redirectURI: "https://x/cb?a=1&b=2", clientID: "verrazzano-pkce")
                expected = [
                    "grant_type": "authorization_code", "code": "co de+&=", "redirect_uri": "https://x/cb?a=1&b=2",
                    "code_verifier": "ver/ifier", "client_id": "verrazzano-pkce",
                ]
            case "refresh":
                _ = try await client.refresh("rt.with.dots_and-dashes", clientID: "verrazzano-pkce")
                expected = ["grant_type": "refresh_token", "refresh_token": "rt.with.dots_and-dashes", "client_id": "verrazzano-pkce"]
            default:
                _ = try await client.passwordGrant(username: "alice", password: "pä ss&word=1", clientID: "verrazzano-pg")
                expected = ["grant_type": "password", "username": "alice", "password": "pä ss&word=1", "scope": "openid", "client_id": "verrazzano-pg"]
            }
            let request = try #require(requests.values.first)
            #expect(request.method == "POST")
            func header(_ name: String) -> String? { request.headers.first { $0.name.lowercased() == name }?.value }
            #expect(header("content-type") == "application/x-www-form-urlencoded")
            #expect(header("accept") == "application/json")
            #expect(header("authorization") == nil)
            #expect(decodeForm(String(decoding: request.body, as: UTF8.self)) == expected)
        }
    }

    @Test("a confidential client's secret goes in HTTP Basic, form-encoded before base64")
    func clientSecretBasic() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            let requests = Recorder<OIDCIssuerDouble.Request>()
            issuer.setHandler(path: tokenPath) { request in
                requests.record(request)
                return .json(#"{"access_token":"a"}"#)
            }
            let client = LoginFixture.tokenClient(try await LoginFixture.provider(for: issuer, httpClient: http), httpClient: http)
            let secret = OIDCClientSecret("s3cr:et/é")
            _ = try await client.refresh("r", clientID: "my client", clientSecret: secret)
            let request = try #require(requests.values.first)
            let authorization = request.headers.first { $0.name.lowercased() == "authorization" }?.value
            let expected = "Basic " + Data("my+client:s3cr%3Aet%2F%C3%A9".utf8).base64EncodedString()
            #expect(authorization == expected)
            #expect(secret.description == "<redacted>")
            #expect(!"\(secret)".contains("s3cr"))
        }
    }

    @Test("a provider that lists only client_secret_post gets the secret in the body, never in HTTP Basic")
    func clientSecretPost() async throws {
        let issuer = OIDCIssuerDouble()
        issuer.setDiscoveryMembers(["token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"]])
        try await LoginFixture.withIssuer(issuer) { issuer, http in
            let requests = Recorder<OIDCIssuerDouble.Request>()
            issuer.setHandler(path: tokenPath) { request in
                requests.record(request)
                return .json(#"{"access_token":"a"}"#)
            }
            let provider = try await LoginFixture.provider(for: issuer, httpClient: http)
            #expect(provider.discoveryDocument?.sendsClientSecretInBody == true)
            let client = LoginFixture.tokenClient(provider, httpClient: http)
            _ = try await client.refresh("r", clientID: "my-client", clientSecret: OIDCClientSecret("s3cret"))
            let request = try #require(requests.values.first)
            #expect(request.headers.first { $0.name.lowercased() == "authorization" } == nil)
            let form = decodeForm(String(decoding: request.body, as: UTF8.self))
            #expect(form["client_secret"] == "s3cret")
            #expect(form["client_id"] == "my-client")
        }
    }

    @Test("redirects are not followed, even by a client configured to follow them", arguments: [307, 302])
    func redirectsRefused(_ status: Int) async throws {
        try await LoginFixture.withIssuer(followRedirects: true) { issuer, http in
            let elsewhere = Recorder<OIDCIssuerDouble.Request>()
            issuer.setHandler(path: tokenPath) { _ in
                OIDCIssuerDouble.Response(status: status, headers: [("Location", "/elsewhere")])
            }
            issuer.setHandler(path: "/elsewhere") { request in
                elsewhere.record(request)
                return .json(#"{"access_token":"stolen"}"#)
            }
            let client = LoginFixture.tokenClient(try await LoginFixture.provider(for: issuer, httpClient: http), httpClient: http)
            await #expect(throws: OIDCTokenEndpointError.unexpectedStatus) {
                try await client.passwordGrant(username: "alice", password: "alice-password", clientID: "verrazzano-pkce")
            }
            // The credentials never reach the redirect target (a 302 may be followed as a body-less GET).
            for request in elsewhere.values {
                #expect(request.method == "GET")
                #expect(request.body.isEmpty)
            }
            if status == 307 {
                #expect(elsewhere.values.isEmpty)
            }
        }
    }

    @Test("error_description is sanitized: secrets withheld, long words and control characters removed, length bounded")
    func sanitizedDescription() async throws {
        let descriptions: [(String, String?)] = [
            ("Invalid refresh token rt-secret-value was revoked", "description withheld"),
            ("Token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl is bad", "(Token … is bad)"),
            ("Line\r\nInjected: header", "(Line Injected: header)"),
            (String(repeating: "word ", count: 60), nil),
        ]
        for (description, expected) in descriptions {
            try await LoginFixture.withIssuer { issuer, http in
                issuer.setHandler(path: tokenPath) { _ in
                    .json(TokenJSON.object(["error": "invalid_grant", "error_description": .string(description)]).jsonString, status: 400)
                }
                let client = LoginFixture.tokenClient(try await LoginFixture.provider(for: issuer, httpClient: http), httpClient: http)
                do throws(OIDCTokenEndpointError) {
                    _ = try await client.refresh("rt-secret-value", clientID: "verrazzano-pkce")
                    Issue.record("accepted")
                } catch {
                    #expect(error == .invalidGrant)
                    #expect(!error.message.contains("rt-secret-value"))
                    #expect(!error.message.contains("eyJ"))
                    #expect(!error.message.contains("\r"))
                    #expect(error.message.count <= 140)
                    if let expected {
                        #expect(error.message.contains(expected))
                    }
                }
            }
        }
    }

    @Test("a hanging endpoint hits the deadline: timeout, 503")
    func timeout() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            issuer.setTokenEndpointBehaviour(.hang)
            let client = LoginFixture.tokenClient(
                try await LoginFixture.provider(for: issuer, httpClient: http), httpClient: http, timeout: .milliseconds(300)
            )
            let started = ContinuousClock.now
            do throws(OIDCTokenEndpointError) {
                _ = try await client.refresh("r", clientID: "verrazzano-pkce")
                Issue.record("answered")
            } catch {
                #expect(error == .timeout)
                #expect(error.httpStatus == 503)
                #expect(error.kind == .unavailable)
            }
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test("a slow endpoint within the deadline still answers")
    func delayed() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            issuer.setTokenEndpointBehaviour(.delay(.milliseconds(200)))
            let client = LoginFixture.tokenClient(try await LoginFixture.provider(for: issuer, httpClient: http), httpClient: http)
            let response = try await client.passwordGrant(username: "alice", password: "alice-password", clientID: "verrazzano-pkce")
            #expect(response.idToken != nil)
        }
    }

    @Test("an unreachable endpoint: transport, 503")
    func unreachable() async throws {
        try await LoginFixture.withIssuer { _, http in
            // AsyncHTTPClient retries refused connections until the deadline, so keep it short.
            let client = OIDCTokenClient(
                tokenEndpoint: "http://127.0.0.1:1/token",
                httpClient: http,
                configuration: OIDCTokenClientConfiguration(requestTimeout: .seconds(1)),
                logger: LoginFixture.quietLogger
            )
            #expect(client.tokenEndpointURL == "http://127.0.0.1:1/token")
            do throws(OIDCTokenEndpointError) {
                _ = try await client.passwordGrant(username: "alice", password: "pw-secret", clientID: "verrazzano-pg")
                Issue.record("answered")
            } catch {
                #expect(error == .transport || error == .timeout)
                #expect(error.httpStatus == 503)
                #expect(error.kind == .unavailable)
                #expect(!error.description.contains("pw-secret"))
            }
        }
    }

    @Test("a response larger than the limit is refused as oversized")
    func oversized() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            issuer.setHandler(path: tokenPath) { _ in
                .json(TokenJSON.object(["access_token": .string(String(repeating: "a", count: 4096))]).jsonString)
            }
            let client = LoginFixture.tokenClient(
                try await LoginFixture.provider(for: issuer, httpClient: http), httpClient: http, maximumResponseSize: 1024
            )
            await #expect(throws: OIDCTokenEndpointError.oversized) { try await client.refresh("r", clientID: "verrazzano-pkce") }
        }
    }

    @Test("before discovery is loaded no endpoint is known: not_configured, 503")
    func notConfigured() async throws {
        try await LoginFixture.withIssuer { issuer, http in
            let provider = OIDCKeyProvider(
                configuration: OIDCProviderConfiguration(issuer: issuer.issuer),
                httpClient: http,
                logger: LoginFixture.quietLogger
            )
            let client = LoginFixture.tokenClient(provider, httpClient: http)
            #expect(client.tokenEndpointURL == nil)
            do throws(OIDCTokenEndpointError) {
                _ = try await client.refresh("r", clientID: "verrazzano-pkce")
                Issue.record("answered")
            } catch {
                #expect(error == .notConfigured)
                #expect(error.httpStatus == 503)
            }
        }
    }

    @Test("with a separate discovery URL the token endpoint is rewritten to its origin")
    func internalTokenEndpoint() async throws {
        let publicIssuer = "https://keycloak.example.com/auth/realms/verrazzano-system"
        try await LoginFixture.withIssuer(OIDCIssuerDouble(publicIssuer: publicIssuer)) { issuer, http in
            let provider = try await LoginFixture.provider(for: issuer, httpClient: http) { $0.discoveryURL = issuer.discoveryURL }
            let client = LoginFixture.tokenClient(provider, httpClient: http)
            #expect(provider.discoveryDocument?.tokenEndpoint == publicIssuer + "/protocol/openid-connect/token")
            #expect(client.tokenEndpointURL == issuer.baseURL + issuer.realmPath + "/protocol/openid-connect/token")
            let response = try await client.passwordGrant(username: "alice", password: "alice-password", clientID: "verrazzano-pkce")
            let identity = try await LoginFixture.authenticator(provider, issuer: issuer).authenticate(response.accessToken)
            #expect(identity.subject == LoginFixture.alice.subject)
        }
    }
}
