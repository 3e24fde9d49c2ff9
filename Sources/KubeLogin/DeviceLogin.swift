import Foundation
import OIDC

/// The device login of `vzauth login` (RFC 8628): shows the user code and the verification URL, then polls the
/// token endpoint (``DeviceGrantPolling``) until the user approved it elsewhere.
struct DeviceLogin: Sendable {
    let configuration: LoginConfiguration
    let interaction: LoginInteraction
    let now: @Sendable () -> Date

    func run(client: OIDCTokenClient) async throws(KubeLoginError) -> OIDCTokenResponse {
        let authorization: OIDCDeviceAuthorization
        do throws(OIDCTokenEndpointError) {
            authorization = try await client.requestDeviceAuthorization(
                clientID: self.configuration.clientID, clientSecret: self.configuration.clientSecret,
                scope: self.configuration.scope)
        } catch where error == .notConfigured {
            throw KubeLoginError(
                "the OpenID provider \(self.configuration.issuer) does not offer the device authorization grant; use --grant browser")
        } catch {
            throw KubeLoginFlow.loginError(error, configuration: self.configuration)
        }
        self.interaction.message("vzauth: to log in, open \(authorization.verificationURI) and enter the code \(authorization.userCode)")
        if let complete = authorization.verificationURIComplete {
            self.interaction.message("vzauth: or open \(complete)")
        }
        let configuration = self.configuration
        let deviceCode = authorization.deviceCode
        let limit = min(authorization.expiresAt, self.now().addingTimeInterval(Self.seconds(configuration.loginTimeout)))
        return try await DeviceGrantPoller.run(
            DeviceGrantPolling(interval: authorization.interval, expiresAt: limit),
            now: self.now,
            sleep: { seconds in try await Task.sleep(for: .milliseconds(Int(seconds * 1000))) },
            poll: { () async throws(OIDCTokenEndpointError) -> OIDCTokenResponse in
                try await client.pollDeviceToken(
                    deviceCode: deviceCode, clientID: configuration.clientID, clientSecret: configuration.clientSecret)
            }
        )
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        TimeInterval(duration.components.seconds) + TimeInterval(duration.components.attoseconds) / 1e18
    }
}
