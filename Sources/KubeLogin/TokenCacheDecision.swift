public import Foundation

/// What to do with the cache entry when kubectl asks for a credential: a pure function of the entry, the time and
/// the allowed clock skew.
public enum TokenCacheDecision: Sendable, Hashable {
    /// The cached token is good for more than the skew: answer with it, no network.
    case useCached(token: String, expiresAt: Date)
    /// The token is (nearly) expired but a refresh token is still good: refresh with it.
    case refresh(refreshToken: String)
    /// Nothing usable: log in.
    case logIn

    /// Decides for `entry` at `now`.
    ///
    /// A token is used while `now + skew` is before its expiry (a token whose expiry is unknown is not used: kubectl
    /// would keep it forever). Otherwise the refresh token is used while `now + skew` is before its expiry (or its
    /// expiry is unknown). Otherwise, or without an entry, a new login.
    ///
    /// - Parameters:
    ///   - entry: The cache entry, if any.
    ///   - tokenType: The token kubectl gets.
    ///   - now: The current time.
    ///   - skew: How long before expiry a token counts as expired (clock skew and time in flight); default 30 s.
    public static func decide(entry: CachedTokens?, tokenType: TokenType, now: Date, skew: TimeInterval = 30) -> TokenCacheDecision {
        guard let entry else {
            return .logIn
        }
        let horizon = now.addingTimeInterval(skew)
        if let found = entry.token(tokenType), let expiresAt = found.expiresAt, horizon < expiresAt {
            return .useCached(token: found.token, expiresAt: expiresAt)
        }
        if let refreshToken = entry.refreshToken, !refreshToken.isEmpty,
           entry.refreshTokenExpiresAt.map({ horizon < $0 }) ?? true {
            return .refresh(refreshToken: refreshToken)
        }
        return .logIn
    }
}
