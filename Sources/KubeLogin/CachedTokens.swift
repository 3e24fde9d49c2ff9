public import Foundation
public import OIDC

/// What the token cache keeps of one login: the tokens and when each expires.
///
/// - Important: ``description`` says which tokens are present and when they expire, never the tokens.
public struct CachedTokens: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The access token.
    public var accessToken: String
    /// When the access token expires (its `exp`, or the response's `expires_in`).
    public var accessTokenExpiresAt: Date?
    /// The ID token, if the provider sent one.
    public var idToken: String?
    /// When the ID token expires (its `exp`).
    public var idTokenExpiresAt: Date?
    /// The refresh token, if the provider sent one.
    public var refreshToken: String?
    /// When the refresh token expires (Keycloak's `refresh_expires_in`, or its `exp`); `nil`: unknown or never.
    public var refreshTokenExpiresAt: Date?

    /// Creates an entry from its members.
    public init(
        accessToken: String,
        accessTokenExpiresAt: Date?,
        idToken: String? = nil,
        idTokenExpiresAt: Date? = nil,
        refreshToken: String? = nil,
        refreshTokenExpiresAt: Date? = nil
    ) {
        self.accessToken = accessToken
        self.accessTokenExpiresAt = accessTokenExpiresAt
        self.idToken = idToken
        self.idTokenExpiresAt = idTokenExpiresAt
        self.refreshToken = refreshToken
        self.refreshTokenExpiresAt = refreshTokenExpiresAt
    }

    /// The entry for a token response. A refresh answer without a new refresh token keeps `previous`'s (providers
    /// that do not rotate refresh tokens send none).
    public init(response: OIDCTokenResponse, previous: CachedTokens? = nil) {
        self.accessToken = response.accessToken
        self.accessTokenExpiresAt = JWTPayload.expiry(of: response.accessToken) ?? response.accessTokenExpiresAt
        self.idToken = response.idToken
        self.idTokenExpiresAt = response.idToken.flatMap(JWTPayload.expiry(of:))
        if let refreshToken = response.refreshToken {
            self.refreshToken = refreshToken
            self.refreshTokenExpiresAt = response.refreshTokenExpiresAt ?? JWTPayload.expiry(of: refreshToken)
        } else {
            self.refreshToken = previous?.refreshToken
            self.refreshTokenExpiresAt = previous?.refreshTokenExpiresAt
        }
    }

    /// The token of `type` and its expiry; `nil` if there is no such token.
    public func token(_ type: TokenType) -> (token: String, expiresAt: Date?)? {
        switch type {
        case .access:
            return (self.accessToken, self.accessTokenExpiresAt)
        case .id:
            return self.idToken.map { ($0, self.idTokenExpiresAt) }
        }
    }

    /// Which tokens are present and when they expire.
    public var description: String {
        func date(_ value: Date?) -> String { value.map(ExecCredential.rfc3339) ?? "nil" }
        return "CachedTokens(accessTokenExpiresAt: \(date(self.accessTokenExpiresAt)), "
            + "idToken: \(self.idToken == nil ? "absent" : "present"), idTokenExpiresAt: \(date(self.idTokenExpiresAt)), "
            + "refreshToken: \(self.refreshToken == nil ? "absent" : "present"), "
            + "refreshTokenExpiresAt: \(date(self.refreshTokenExpiresAt)))"
    }
}
