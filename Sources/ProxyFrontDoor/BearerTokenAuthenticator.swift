public import OIDC

/// What a proxy needs to check a bearer token: an answer without I/O when one can be given, and one that may fetch
/// what it lacks. ``OIDC/TokenAuthenticator`` is the real one; tests give the policies a fake.
///
/// Both answer with OIDC's own ``OIDC/Identity`` and ``OIDC/OIDCError``: the proxies have no types of their own for
/// either. Use ``check(_:)``, which asks the first and falls back to the second, rather than calling them yourself.
public protocol BearerTokenAuthenticator: Sendable {
    /// Checks `token` (the part after `Bearer `) with what is at hand: never blocks, never does I/O, so it is safe
    /// on an event loop.
    func authenticateWithCurrentKeys(_ token: String) -> TokenVerificationOutcome

    /// ``authenticateWithCurrentKeys(_:)`` for the token's bytes (by default made into a string first).
    func authenticateWithCurrentKeys(bytes token: UnsafeRawBufferPointer) -> TokenVerificationOutcome

    /// Checks `token`, fetching what ``authenticateWithCurrentKeys(_:)`` lacked (the issuer's keys).
    func authenticate(_ token: String) async throws(OIDCError) -> Identity
}

extension BearerTokenAuthenticator {
    public func authenticateWithCurrentKeys(bytes token: UnsafeRawBufferPointer) -> TokenVerificationOutcome {
        authenticateWithCurrentKeys(String(decoding: token, as: UTF8.self))
    }
}

extension TokenAuthenticator: BearerTokenAuthenticator {}

extension IssuerRoutedAuthenticator: BearerTokenAuthenticator {}
