public import ProxyCore

/// The paths the proxy serves itself, on every host.
public enum OIDCProxyPaths {
    /// Where the identity provider sends the browser back with the authorization code.
    public static let callback = "/_authentication_callback"
    /// Ends the session and logs out at the identity provider.
    public static let logout = "/_logout"
    /// OpenID Connect Back-Channel Logout: the identity provider posts a logout token here.
    public static let backChannelLogout = "/_single_logout"
}
