public import Foundation

/// Verifies OpenID Connect Back-Channel Logout 1.0 `logout_token`s, which the provider POSTs to the relying
/// party's back-channel logout endpoint when a user's session ends.
///
/// Checks (§2.4, §2.6): the signature with the issuer's keys (allow-listed algorithms only; an unknown `kid`
/// triggers one rate-limited key refetch); the header's `typ`, if present, is `logout+jwt` (case-insensitive,
/// optionally `application/logout+jwt`); `iss` equals the policy's issuer exactly; `aud` contains, or `azp`
/// equals, an allowed client id; `iat` is present, not in the future and not older than ``maximumAge`` (both with
/// the policy's clock skew); `exp` and `nbf`, if present, hold; `jti` is a non-empty string; `events` is an object
/// whose member `http://schemas.openid.net/event/backchannel-logout` is an object; `sub` or `sid` (or both) is a
/// non-empty string; there is no `nonce` claim. Finally the `jti` must not have been accepted before (bounded
/// memory, see ``init(keySource:policy:maximumAge:replayCacheCapacity:now:)``).
///
/// Replays are detected per verifier instance: with several proxy replicas, a replayed token reaching another
/// replica is accepted there, which at worst ends the same session again.
///
/// - Important: Tokens are never logged or put into error messages.
public final class LogoutTokenVerifier: Sendable {
    /// The member of `events` that marks a back-channel logout token.
    public static let backChannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

    /// Issuer, allowed clients and clock skew (usually the same policy as the ``TokenAuthenticator``'s).
    public let policy: TokenPolicy
    /// How old (by `iat`) a logout token may be, in seconds, before the clock skew. Default 300.
    public let maximumAge: TimeInterval
    private let keySource: any VerificationKeySource
    private let replays: LogoutTokenReplayCache
    private let now: @Sendable () -> Date

    /// Creates a verifier.
    ///
    /// - Parameters:
    ///   - keySource: Where verification keys come from, usually the ``OIDCKeyProvider``.
    ///   - policy: Issuer, allowed clients and clock skew.
    ///   - maximumAge: The oldest `iat` accepted, in seconds (plus the clock skew); token ids are remembered
    ///     for at most this long. Default 300.
    ///   - replayCacheCapacity: The most token ids remembered. Default 10 000.
    ///   - now: The clock; inject a fixed one in tests.
    public init(
        keySource: any VerificationKeySource,
        policy: TokenPolicy,
        maximumAge: TimeInterval = 300,
        replayCacheCapacity: Int = 10_000,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.keySource = keySource
        self.policy = policy
        self.maximumAge = maximumAge
        self.replays = LogoutTokenReplayCache(capacity: replayCacheCapacity)
        self.now = now
    }

    /// The number of token ids currently remembered (expired ones included until swept).
    public var rememberedTokenIDCount: Int {
        self.replays.count
    }

    /// Verifies `logoutToken` (the `logout_token` form parameter) and remembers its `jti`.
    ///
    /// - Throws: ``OIDCError`` (HTTP 400); ``OIDCError/replayed`` for a `jti` seen before.
    public func verify(_ logoutToken: String) async throws(OIDCError) -> VerifiedLogoutToken {
        if let verified = try self.verifyWithCurrentKeys(logoutToken) {
            return verified
        }
        _ = await self.keySource.refetchForUnknownKey()
        if let verified = try self.verifyWithCurrentKeys(logoutToken) {
            return verified
        }
        throw self.keySource.currentKeys == nil ? OIDCError.keysUnavailable : OIDCError.unknownKey
    }

    /// One attempt with the keys held now; `nil` if the keys needed are not known.
    private func verifyWithCurrentKeys(_ logoutToken: String) throws(OIDCError) -> VerifiedLogoutToken? {
        var token = logoutToken
        let now = self.now()
        let keys = self.keySource.currentKeys
        let result: Result<(CompactJWS, [String: StrictJSONValue])?, OIDCError> = token.withUTF8 { bytes in
            do throws(OIDCError) {
                guard let (jws, _) = try CompactJWS.verified(UnsafeRawBufferPointer(bytes), keys: keys) else {
                    return .success(nil)
                }
                return .success((jws, try jws.claims()))
            } catch {
                return .failure(error)
            }
        }
        let verified: (CompactJWS, [String: StrictJSONValue])?
        switch result {
        case .success(let value):
            verified = value
        case .failure(let error):
            throw error
        }
        guard let (jws, claims) = verified else {
            return nil
        }
        if jws.type != nil, !jws.isLogoutTokenType {
            throw OIDCError.wrongType
        }
        let logout = try self.validate(claims, now: now)
        let validUntil = min(
            logout.expiresAt ?? .distantFuture,
            logout.issuedAt.addingTimeInterval(self.maximumAge)
        ).addingTimeInterval(self.policy.clockSkew)
        guard self.replays.remember(logout.tokenID, until: validUntil, now: now) else {
            throw OIDCError.replayed
        }
        return logout
    }
}
