/// Verifies bearer tokens of several issuers: each token by the one issuer its `iss` names (see ``IssuerRouter``),
/// with that issuer's keys, policy and claim mapping only.
///
/// A token seen before costs what it costs ``TokenAuthenticator``: one hash, then one cache lookup per issuer (the
/// caches are asked before `iss` is read, and an entry is only there if that issuer verified this very token).
/// Only a token not cached has its payload decoded to route it.
///
/// ```swift
/// let authenticator = IssuerRoutedAuthenticator([adminRealm, ciIssuer])  // TokenAuthenticators
/// switch authenticator.authenticateWithCurrentKeys(token) { ... }       // as TokenAuthenticator's
/// ```
public final class IssuerRoutedAuthenticator: Sendable {
    /// The issuers' authenticators, in the order given.
    public let authenticators: [TokenAuthenticator]
    private let router: IssuerRouter<TokenAuthenticator>

    /// Accepts the tokens of each authenticator's issuer (`policy.issuer`; for an issuer given twice, the first).
    public init(_ authenticators: [TokenAuthenticator]) {
        self.authenticators = authenticators
        self.router = IssuerRouter(authenticators.map { (issuer: $0.policy.issuer, target: $0) })
    }

    /// Verifies `token` (the part after `Bearer `) with the keys its issuer holds right now.
    ///
    /// Synchronous and free of I/O: safe on an event loop. An `iss` no issuer has is
    /// ``OIDCError/wrongIssuer`` (401).
    public func authenticateWithCurrentKeys(_ token: String) -> TokenVerificationOutcome {
        var token = token
        return token.withUTF8 { self.authenticateWithCurrentKeys(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// ``authenticateWithCurrentKeys(_:)`` for the token's bytes.
    public func authenticateWithCurrentKeys(bytes token: UnsafeRawBufferPointer) -> TokenVerificationOutcome {
        guard token.count <= CompactJWS.maximumSize else { return .rejected(.oversized) }
        let cacheKey = VerifiedTokenCache.Key(token: token)
        for authenticator in self.authenticators {
            if let identity = authenticator.cachedIdentity(cacheKey) { return .authenticated(identity) }
        }
        do throws(OIDCError) {
            return try self.router.route(bytes: token).verifyUncached(token, cacheKey: cacheKey, expectedNonce: nil)
        } catch {
            return .rejected(error)
        }
    }

    /// Verifies `token` with its issuer's keys, refetching them once (rate-limited) when it names a key the
    /// issuer's key set lacks.
    ///
    /// - Throws: ``OIDCError``, as ``TokenAuthenticator/authenticate(_:)``, or ``OIDCError/wrongIssuer`` for an
    ///   `iss` no issuer has.
    public func authenticate(_ token: String) async throws(OIDCError) -> Identity {
        try await self.router.route(token).authenticate(token)
    }
}
