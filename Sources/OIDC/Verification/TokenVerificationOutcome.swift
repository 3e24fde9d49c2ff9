/// The result of ``TokenAuthenticator/authenticateWithCurrentKeys(_:)``.
public enum TokenVerificationOutcome: Sendable, Hashable {
    /// The token is valid; this is the caller.
    case authenticated(Identity)
    /// The token is refused.
    case rejected(OIDCError)
    /// The token names a key id missing from the current key set (or no keys are loaded yet): call
    /// ``TokenAuthenticator/authenticate(_:)``, which refetches the keys (rate-limited) and tries again.
    case needsKeyRefresh
}
