import AsyncHTTPClient
import Foundation
import OIDC
import Testing
import VZAuthTestSupport

/// The device authorization grant (RFC 8628) of the token client, against the issuer double playing Keycloak.
@Suite("device authorization grant")
struct DeviceGrantTests {
    @Test("discovery names the endpoint; the answer has Keycloak's shape; polls answer pending, slow_down, then tokens once")
    func deviceGrant() async throws {
        try await LoginFixture.withIssuer { issuer, httpClient in
            // Long enough that the two polls below fall within one interval however loaded the machine is (3 s was
            // not once, under a full parallel test run); shortened before the last poll instead of waiting it out.
            issuer.setDeviceGrant(interval: 30)
            let provider = try await LoginFixture.provider(for: issuer, httpClient: httpClient)
            #expect(provider.discoveryDocument?.deviceAuthorizationEndpoint == issuer.issuer + "/protocol/openid-connect/auth/device")
            let client = OIDCTokenClient(keyProvider: provider, httpClient: httpClient, logger: LoginFixture.quietLogger)
            let authorization = try await client.requestDeviceAuthorization(clientID: "verrazzano-pkce", scope: "openid")
            #expect(authorization.userCode.wholeMatch(of: /[B-Z]{4}-[B-Z]{4}/) != nil)
            #expect(authorization.verificationURI == issuer.issuer + "/device")
            #expect(authorization.verificationURIComplete == issuer.issuer + "/device?user_code=" + authorization.userCode)
            #expect(authorization.interval == 30 && authorization.expiresIn == 600)
            #expect(!authorization.description.contains(authorization.deviceCode))

            await #expect(throws: OIDCTokenEndpointError.authorizationPending) {
                _ = try await client.pollDeviceToken(deviceCode: authorization.deviceCode, clientID: "verrazzano-pkce")
            }
            await #expect(throws: OIDCTokenEndpointError.slowDown) {
                _ = try await client.pollDeviceToken(deviceCode: authorization.deviceCode, clientID: "verrazzano-pkce")
            }
            let browser = BrowserClient()
            let login = try await browser.get(authorization.verificationURIComplete!)
            #expect(login.text.contains("kc-form-login"))
            let approved = try await browser.send(
                method: "POST", url: issuer.issuer + "/device", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: Array("user_code=\(authorization.userCode.lowercased())&username=alice&password=alice-password".utf8))
            #expect(approved.text.contains("Device Login Successful"))
            issuer.setDeviceGrant(interval: 0)  // the interval has passed, as far as the issuer is concerned
            let tokens = try await client.pollDeviceToken(deviceCode: authorization.deviceCode, clientID: "verrazzano-pkce")
            #expect(tokens.idToken != nil && tokens.refreshToken != nil)
            await #expect(throws: OIDCTokenEndpointError.invalidGrant) {
                _ = try await client.pollDeviceToken(deviceCode: authorization.deviceCode, clientID: "verrazzano-pkce")
            }
        }
    }

    @Test("expired device codes answer expired_token; a client without the grant gets unauthorized_client")
    func refusals() async throws {
        try await LoginFixture.withIssuer { issuer, httpClient in
            let provider = try await LoginFixture.provider(for: issuer, httpClient: httpClient)
            let client = OIDCTokenClient(keyProvider: provider, httpClient: httpClient, logger: LoginFixture.quietLogger)
            issuer.setDeviceGrant(codeLifetime: 1)
            let authorization = try await client.requestDeviceAuthorization(clientID: "verrazzano-pkce")
            try await Task.sleep(for: .milliseconds(1100))
            await #expect(throws: OIDCTokenEndpointError.expiredToken) {
                _ = try await client.pollDeviceToken(deviceCode: authorization.deviceCode, clientID: "verrazzano-pkce")
            }
            issuer.setDeviceGrantEnabled(false)
            await #expect(throws: OIDCTokenEndpointError.unauthorizedClient) {
                _ = try await client.requestDeviceAuthorization(clientID: "verrazzano-pkce")
            }
        }
    }
}
