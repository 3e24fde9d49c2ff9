public import Foundation

/// Which tokens are acceptable at all: who must have issued them, for which clients, with what clock leeway.
public struct TokenPolicy: Sendable, Hashable {
    /// The issuer; a token's `iss` must equal it exactly (no normalisation, a trailing slash matters).
    /// Keycloak: `https://<host>/auth/realms/verrazzano-system`.
    public var issuer: String
    /// Client ids a token may be issued for: `azp` must be one of them, or, when a token has no `azp`,
    /// `aud` (a string or an array) must contain one. Verrazzano: `verrazzano-pkce`, `verrazzano-pg`.
    public var allowedClientIDs: Set<String>
    /// Leeway for `exp`, `nbf` and `iat`, in seconds. Default 30.
    public var clockSkew: TimeInterval

    /// Creates a policy.
    public init(issuer: String, allowedClientIDs: Set<String>, clockSkew: TimeInterval = 30) {
        self.issuer = issuer
        self.allowedClientIDs = allowedClientIDs
        self.clockSkew = clockSkew
    }
}
