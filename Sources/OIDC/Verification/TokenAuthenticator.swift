public import Foundation

/// Verifies bearer tokens and turns them into an ``Identity``: signature (allow-listed algorithms only),
/// issuer, client, validity window, then the ``ClaimMapping`` rules.
///
/// Verified tokens are cached (bounded, keyed by the token's SHA-256, valid until `exp` and checked against the
/// clock on every hit; an entry is also dropped once the key that verified it leaves the key set), so repeated
/// requests with the same token cost one hash and one dictionary lookup.
///
/// Use ``authenticateWithCurrentKeys(_:)-(String)`` on an event loop: it never blocks and never does I/O. When it
/// answers ``TokenVerificationOutcome/needsKeyRefresh``, hop off the loop and call ``authenticate(_:)``, which
/// asks the key source for a (rate-limited) refetch and tries once more.
///
/// ID tokens from a login are checked with ``authenticateIDToken(_:expectedNonce:)``, which also requires the
/// login's nonce and bypasses the cache. Tokens whose header declares `typ: logout+jwt` are never accepted here.
///
/// - Important: Tokens are never logged or put into error messages.
public final class TokenAuthenticator: Sendable {
    /// Which tokens are acceptable.
    public let policy: TokenPolicy
    /// How claims become an identity.
    public let mapping: ClaimMapping
    private let keySource: any VerificationKeySource
    private let cache: VerifiedTokenCache
    private let now: @Sendable () -> Date

    /// Creates an authenticator.
    ///
    /// - Parameters:
    ///   - keySource: Where verification keys come from, usually an ``OIDCKeyProvider``.
    ///   - policy: Issuer, allowed clients and clock skew.
    ///   - mapping: Claim names and identity rules.
    ///   - cacheCapacity: The most verified tokens kept; `0` disables the cache. Default 10 000.
    ///   - now: The clock; inject a fixed one in tests.
    public init(
        keySource: any VerificationKeySource,
        policy: TokenPolicy,
        mapping: ClaimMapping = ClaimMapping(),
        cacheCapacity: Int = 10_000,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.keySource = keySource
        self.policy = policy
        self.mapping = mapping
        self.cache = VerifiedTokenCache(capacity: cacheCapacity)
        self.now = now
    }

    /// The number of tokens currently cached (expired entries included until they are swept).
    public var cachedTokenCount: Int {
        self.cache.count
    }

    /// Verifies `token` (the part after `Bearer `) with the keys the key source holds right now.
    ///
    /// Synchronous and free of I/O: safe on an event loop.
    public func authenticateWithCurrentKeys(_ token: String) -> TokenVerificationOutcome {
        var token = token
        return token.withUTF8 { self.verify(UnsafeRawBufferPointer($0), expectedNonce: nil) }
    }

    /// Verifies `token` (the bytes after `Bearer `) with the keys the key source holds right now; a cached token
    /// is found without making a string of it.
    ///
    /// Synchronous and free of I/O: safe on an event loop.
    public func authenticateWithCurrentKeys(bytes token: UnsafeRawBufferPointer) -> TokenVerificationOutcome {
        self.verify(token, expectedNonce: nil)
    }

    /// Verifies `token` (the part after `Bearer `) with the keys the key source holds right now.
    ///
    /// Synchronous and free of I/O: safe on an event loop.
    public func authenticateWithCurrentKeys(_ token: Substring) -> TokenVerificationOutcome {
        var token = token
        return token.withUTF8 { self.verify(UnsafeRawBufferPointer($0), expectedNonce: nil) }
    }

    /// Verifies `token`, refetching the key set once (rate-limited by the key source) when it names an
    /// unknown key.
    ///
    /// - Throws: ``OIDCError``; ``OIDCError/unknownKey`` if the key is still unknown after the refetch,
    ///   ``OIDCError/keysUnavailable`` if no keys could be loaded at all.
    public func authenticate(_ token: String) async throws(OIDCError) -> Identity {
        try await self.refetchingOnce { self.authenticateWithCurrentKeys(token) }
    }

    /// Runs `attempt`; if it needs keys the source does not hold, asks for one (rate-limited) refetch and runs it
    /// once more.
    func refetchingOnce(_ attempt: () -> TokenVerificationOutcome) async throws(OIDCError) -> Identity {
        switch attempt() {
        case .authenticated(let identity):
            return identity
        case .rejected(let error):
            throw error
        case .needsKeyRefresh:
            break
        }
        _ = await self.keySource.refetchForUnknownKey()
        switch attempt() {
        case .authenticated(let identity):
            return identity
        case .rejected(let error):
            throw error
        case .needsKeyRefresh:
            throw self.keySource.currentKeys == nil ? OIDCError.keysUnavailable : OIDCError.unknownKey
        }
    }

    /// Verifies an access token (`expectedNonce == nil`, cached) or an ID token (nonce required, never cached:
    /// a cache hit must not skip the nonce check, and an ID token is verified once per login anyway).
    func verify(_ token: UnsafeRawBufferPointer, expectedNonce: String?) -> TokenVerificationOutcome {
        guard token.count <= CompactJWS.maximumSize else {
            return .rejected(.oversized)
        }
        guard expectedNonce == nil else {
            return self.verifyUncached(token, cacheKey: nil, expectedNonce: expectedNonce)
        }
        let cacheKey = VerifiedTokenCache.Key(token: token)
        if let identity = self.cachedIdentity(cacheKey) {
            return .authenticated(identity)
        }
        return self.verifyUncached(token, cacheKey: cacheKey, expectedNonce: nil)
    }

    /// The identity of the access token whose cache key is `key`, if this authenticator verified it, it has not
    /// expired, and the key that verified it is still in the key set (an entry whose key left is dropped).
    func cachedIdentity(_ key: VerifiedTokenCache.Key) -> Identity? {
        guard let entry = self.cache.lookup(key, now: self.now()) else { return nil }
        if let keyID = entry.keyID, self.keySource.currentKeys?[keyID: keyID] == nil {
            self.cache.remove(key)
            return nil
        }
        return entry.identity
    }

    /// Verifies `token` (at most ``CompactJWS/maximumSize`` bytes) without asking the cache; a verified access
    /// token is cached under `cacheKey`.
    func verifyUncached(_ token: UnsafeRawBufferPointer, cacheKey: VerifiedTokenCache.Key?,
                        expectedNonce: String?) -> TokenVerificationOutcome {
        let now = self.now()
        let keys = self.keySource.currentKeys
        do throws(OIDCError) {
            guard let (jws, key) = try CompactJWS.verified(token, keys: keys) else {
                // Never loaded: answering at once beats making the client wait for a refetch that the key source
                // retries in the background anyway, and it says where the problem is.
                return keys == nil ? .rejected(.providerNotReached) : .needsKeyRefresh
            }
            if jws.isLogoutTokenType {
                throw OIDCError.malformed.with(message: "a logout token is not accepted for authentication")
            }
            let claims = try jws.claims()
            let expiresAt = try self.policy.validate(claims, now: now, isIDToken: expectedNonce != nil)
            if let expectedNonce {
                try Self.checkNonce(claims, expected: expectedNonce)
            }
            let identity = try self.mapping.identity(from: claims, expiresAt: expiresAt)
            if let cacheKey {
                self.cache.insert(.init(identity: identity, keyID: key.keyID), for: cacheKey, now: now)
            }
            return .authenticated(identity)
        } catch {
            return .rejected(error)
        }
    }

    /// The `nonce` claim must be a string equal to `expected` (compared in constant time).
    private static func checkNonce(_ claims: [String: StrictJSONValue], expected: String) throws(OIDCError) {
        guard case .string(let nonce)? = claims["nonce"] else {
            throw OIDCError.wrongNonce.with(message: "ID token has no nonce")
        }
        guard !expected.isEmpty, ConstantTime.equals(nonce, expected) else {
            throw OIDCError.wrongNonce
        }
    }
}
