public import Foundation

/// The OIDC proxy's behaviour, apart from its routes and its connections to the identity provider.
public struct OIDCProxyConfiguration: Sendable {
    /// The client browsers log in with (authorization code + PKCE). Verrazzano: `verrazzano-pkce`.
    public var loginClientID: String
    /// The client `Authorization: Basic` credentials are exchanged with (password grant). Verrazzano: `verrazzano-pg`.
    public var passwordClientID: String
    /// The scope asked for at login.
    public var scope: String
    /// The longest a login lasts, refreshes included (bounds sessions whose refresh token never expires).
    public var sessionMaxLifetime: TimeInterval
    /// When a session's access is refreshed.
    public var refreshSchedule: RefreshSchedule
    /// How long a verified Basic credential is reused (at most until its token expires).
    public var passwordCacheLifetime: TimeInterval
    /// The most request bytes a back-channel logout may carry.
    public var maximumLogoutRequestBytes: Int

    /// Creates the configuration; the defaults are Verrazzano's.
    public init(loginClientID: String = "verrazzano-pkce", passwordClientID: String = "verrazzano-pg",
                scope: String = "openid", sessionMaxLifetime: TimeInterval = 36_000,
                refreshSchedule: RefreshSchedule = RefreshSchedule(), passwordCacheLifetime: TimeInterval = 300,
                maximumLogoutRequestBytes: Int = 64 * 1024) {
        self.loginClientID = loginClientID
        self.passwordClientID = passwordClientID
        self.scope = scope
        self.sessionMaxLifetime = sessionMaxLifetime
        self.refreshSchedule = refreshSchedule
        self.passwordCacheLifetime = passwordCacheLifetime
        self.maximumLogoutRequestBytes = maximumLogoutRequestBytes
    }
}
