/// A confidential client's secret, sent to the token endpoint with HTTP Basic authentication
/// (RFC 6749 §2.3.1: `Authorization: Basic base64(urlencode(client_id) ":" urlencode(secret))`).
///
/// Public clients (Verrazzano's `verrazzano-pkce` and `verrazzano-pg`) have none.
///
/// - Important: ``description`` never shows the secret, so the value is safe in logs and configuration dumps.
public struct OIDCClientSecret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself.
    public let value: String

    /// Wraps `value`.
    public init(_ value: String) {
        self.value = value
    }

    /// `<redacted>`.
    public var description: String {
        "<redacted>"
    }

    /// `<redacted>`.
    public var debugDescription: String {
        "<redacted>"
    }
}
