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
    /// Extra `aud` values accepted for bearer tokens, whatever their `azp`: access tokens issued for the proxy as
    /// a resource server (RFC 9068 §4), e.g. Entra ID's `api://<app id>` or an Auth0 API identifier. ID tokens at
    /// login and logout tokens ignore it: they must name an allowed client.
    public var acceptedAudiences: Set<String>

    /// Creates a policy.
    public init(issuer: String, allowedClientIDs: Set<String>, clockSkew: TimeInterval = 30,
                acceptedAudiences: Set<String> = []) {
        self.issuer = issuer
        self.allowedClientIDs = allowedClientIDs
        self.clockSkew = clockSkew
        self.acceptedAudiences = acceptedAudiences
    }
}
