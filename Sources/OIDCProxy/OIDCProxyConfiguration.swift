public import Foundation
public import OIDC

/// The OIDC proxy's behaviour, apart from its routes and its connections to the identity provider.
public struct OIDCProxyConfiguration: Sendable {
    /// The client browsers log in with (authorization code + PKCE). Verrazzano: `verrazzano-pkce`.
    public var loginClientID: String
    /// The client `Authorization: Basic` credentials are exchanged with (password grant). Verrazzano: `verrazzano-pg`.
    public var passwordClientID: String
    /// The scopes asked for at login and in the password grant; `nil`: ``defaultScopes(discovery:)``.
    public var scopes: [String]?
    /// The login client's secret when it is a confidential client (PKCE stays on either way).
    public var loginClientSecret: OIDCClientSecretFile?
    /// The password client's secret when it is a confidential client (several providers allow the password grant
    /// only for those).
    public var passwordClientSecret: OIDCClientSecretFile?
    /// Where the identity provider sends the browser after logout (`post_logout_redirect_uri`, which must be
    /// registered with the provider); `nil`: the console's own `<public URL>/`.
    public var postLogoutRedirectURL: String?
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
                scopes: [String]? = nil, loginClientSecret: OIDCClientSecretFile? = nil,
                passwordClientSecret: OIDCClientSecretFile? = nil, postLogoutRedirectURL: String? = nil,
                sessionMaxLifetime: TimeInterval = 36_000,
                refreshSchedule: RefreshSchedule = RefreshSchedule(), passwordCacheLifetime: TimeInterval = 300,
                maximumLogoutRequestBytes: Int = 64 * 1024) {
        self.loginClientID = loginClientID
        self.passwordClientID = passwordClientID
        self.scopes = scopes
        self.loginClientSecret = loginClientSecret
        self.passwordClientSecret = passwordClientSecret
        self.postLogoutRedirectURL = postLogoutRedirectURL
        self.sessionMaxLifetime = sessionMaxLifetime
        self.refreshSchedule = refreshSchedule
        self.passwordCacheLifetime = passwordCacheLifetime
        self.maximumLogoutRequestBytes = maximumLogoutRequestBytes
    }

    /// The scopes asked for: ``scopes`` if set, else `openid profile email`, and `groups` when the provider lists it
    /// in `scopes_supported` (providers that release a `groups` claim only for that scope).
    public func requestedScope(discovery: OIDCDiscoveryDocument?) -> String {
        if let scopes { return scopes.joined(separator: " ") }
        var scopes = ["openid", "profile", "email"]
        if discovery?.scopesSupported?.contains("groups") == true { scopes.append("groups") }
        return scopes.joined(separator: " ")
    }
}
