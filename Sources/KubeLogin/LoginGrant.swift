/// How `vzauth login` logs a user in when the cache cannot help.
public enum LoginGrant: String, Sendable, Hashable, CaseIterable {
    /// Authorization code with PKCE in a browser, back to a loopback redirect URI (RFC 8252).
    case browser
    /// The device authorization grant (RFC 8628): a code to enter on another device.
    case device
    /// The resource-owner password grant, for scripts (a password file or a prompt).
    case password
}
