public import Foundation

/// A successful token endpoint response (RFC 6749 §5.1, with Keycloak's `refresh_expires_in`).
///
/// - Important: ``description`` says which tokens are present, never the tokens themselves.
public struct OIDCTokenResponse: Sendable, Hashable, CustomStringConvertible {
    /// `access_token` (required, non-empty).
    public var accessToken: String
    /// `token_type`, such as `Bearer`, if sent.
    public var tokenType: String?
    /// `expires_in`: the access token's lifetime in seconds, if sent.
    public var expiresIn: TimeInterval?
    /// `refresh_token`, if sent.
    public var refreshToken: String?
    /// `refresh_expires_in` (Keycloak): the refresh token's lifetime in seconds; Keycloak sends 0 for offline
    /// tokens, which do not expire by time.
    public var refreshExpiresIn: TimeInterval?
    /// `id_token`, if sent (only with the `openid` scope). Verify it before use.
    public var idToken: String?
    /// `scope`: the granted scopes, if sent.
    public var scope: String?
    /// When the response was received (the base of the expiry times).
    public var receivedAt: Date

    /// Creates a response from its members.
    public init(
        accessToken: String,
        tokenType: String? = nil,
        expiresIn: TimeInterval? = nil,
        refreshToken: String? = nil,
        refreshExpiresIn: TimeInterval? = nil,
        idToken: String? = nil,
        scope: String? = nil,
        receivedAt: Date
    ) {
        self.accessToken = accessToken
        self.tokenType = tokenType
        self.expiresIn = expiresIn
        self.refreshToken = refreshToken
        self.refreshExpiresIn = refreshExpiresIn
        self.idToken = idToken
        self.scope = scope
        self.receivedAt = receivedAt
    }

    /// ``receivedAt`` plus ``expiresIn``; `nil` without `expires_in`.
    public var accessTokenExpiresAt: Date? {
        self.expiresIn.map { self.receivedAt.addingTimeInterval($0) }
    }

    /// ``receivedAt`` plus ``refreshExpiresIn``; `nil` without it or when it is 0 (no time limit).
    public var refreshTokenExpiresAt: Date? {
        guard let refreshExpiresIn = self.refreshExpiresIn, refreshExpiresIn > 0 else {
            return nil
        }
        return self.receivedAt.addingTimeInterval(refreshExpiresIn)
    }

    /// Lifetimes and which tokens are present; never a token.
    public var description: String {
        func present(_ value: String?) -> String { value == nil ? "absent" : "present" }
        let expiresIn = self.expiresIn.map { "\($0)" } ?? "nil"
        let refreshExpiresIn = self.refreshExpiresIn.map { "\($0)" } ?? "nil"
        return "OIDCTokenResponse(tokenType: \(self.tokenType ?? "nil"), expiresIn: \(expiresIn), "
            + "refreshToken: \(present(self.refreshToken)), refreshExpiresIn: \(refreshExpiresIn), "
            + "idToken: \(present(self.idToken)), scope: \(self.scope ?? "nil"))"
    }
}
