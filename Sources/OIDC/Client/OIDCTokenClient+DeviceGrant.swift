import Foundation

extension OIDCTokenClient {
    /// The grant type of device code token requests (RFC 8628 §3.4).
    public static let deviceCodeGrantType = "urn:ietf:params:oauth:grant-type:device_code"

    /// The device authorization endpoint requests go to: `endpoint` if given, else the discovery document's
    /// `device_authorization_endpoint` (rewritten for in-cluster access like the token endpoint).
    public func deviceAuthorizationEndpointURL(override endpoint: String? = nil) -> String? {
        if let endpoint {
            return endpoint
        }
        guard case .discovered(let provider) = self.endpoint,
              let published = provider.discoveryDocument?.deviceAuthorizationEndpoint, !published.isEmpty else {
            return nil
        }
        return provider.configuration.internalURL(for: published)
    }

    /// Starts a device login (RFC 8628 §3.1): asks the device authorization endpoint for a device code and a user
    /// code.
    ///
    /// - Parameters:
    ///   - clientID: The client; Keycloak wants "OAuth 2.0 Device Authorization Grant" enabled on it.
    ///   - clientSecret: The secret of a confidential client.
    ///   - scope: Space-separated scopes.
    ///   - endpoint: The endpoint, if not the discovered one.
    /// - Throws: ``OIDCTokenEndpointError``: ``OIDCTokenEndpointError/notConfigured`` when the provider publishes
    ///   no device authorization endpoint; a rejection (Keycloak: `unauthorized_client` when the client does not
    ///   allow the grant).
    public func requestDeviceAuthorization(
        clientID: String,
        clientSecret: OIDCClientSecret? = nil,
        scope: String = "openid",
        endpoint: String? = nil
    ) async throws(OIDCTokenEndpointError) -> OIDCDeviceAuthorization {
        guard let url = self.deviceAuthorizationEndpointURL(override: endpoint) else {
            throw OIDCTokenEndpointError.notConfigured.with(
                message: "the provider publishes no device_authorization_endpoint (no device authorization grant)")
        }
        let answer = try await self.post(
            url: url, form: [("scope", scope)], clientID: clientID, clientSecret: clientSecret,
            what: "device authorization endpoint")
        let receivedAt = self.now()
        guard answer.status == 200 else {
            // Errors have the token endpoint's shape (RFC 8628 §3.2 refers to RFC 6749 §5.2).
            _ = try Self.interpret(status: answer.status, body: answer.body, secrets: [], receivedAt: receivedAt)
            throw OIDCTokenEndpointError.unexpectedStatus.with(
                message: "device authorization endpoint answered \(answer.status)", upstreamStatus: answer.status)
        }
        guard let json = StrictJSONValue(parsing: answer.body)?.objectValue else {
            throw OIDCTokenEndpointError.notJSON.with(
                message: "device authorization endpoint answered 200 without a JSON object", upstreamStatus: 200)
        }
        return try OIDCDeviceAuthorization(json: json, receivedAt: receivedAt)
    }

    /// Polls the token endpoint once for a device login (`grant_type=urn:ietf:params:oauth:grant-type:device_code`).
    ///
    /// - Throws: ``OIDCTokenEndpointError``: ``OIDCTokenEndpointError/authorizationPending`` and
    ///   ``OIDCTokenEndpointError/slowDown`` mean "poll again later"; ``OIDCTokenEndpointError/expiredToken`` and
    ///   ``OIDCTokenEndpointError/accessDenied`` end the login.
    public func pollDeviceToken(
        deviceCode: String,
        clientID: String,
        clientSecret: OIDCClientSecret? = nil
    ) async throws(OIDCTokenEndpointError) -> OIDCTokenResponse {
        try await self.request(
            grantType: Self.deviceCodeGrantType,
            parameters: [("device_code", deviceCode)],
            clientID: clientID,
            clientSecret: clientSecret,
            secrets: [deviceCode]
        )
    }
}
