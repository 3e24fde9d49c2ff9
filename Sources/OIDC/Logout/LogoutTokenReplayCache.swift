import Foundation

/// Remembers the `jti` of accepted logout tokens until they could no longer be accepted anyway, to refuse replays.
///
/// An ``ExpiringCache`` keyed by SHA-256 digests (a long `jti` costs no more than a short one); when full, the
/// entries closest to expiry go first (a dropped entry could be replayed, which at worst ends an already ended
/// session again).
final class LogoutTokenReplayCache: Sendable {
    typealias Key = VerifiedTokenCache.Key

    private let storage: ExpiringCache<Key, Bool>

    init(capacity: Int) {
        self.storage = ExpiringCache(capacity: max(1, capacity))
    }

    /// The most token ids remembered.
    var capacity: Int { self.storage.capacity }

    /// The number of remembered token ids (expired ones included until swept).
    var count: Int { self.storage.count }

    /// Records `tokenID` as used until `expiry`; `false` if it is already recorded and not yet expired at `now`.
    func remember(_ tokenID: String, until expiry: Date, now: Date) -> Bool {
        var tokenID = tokenID
        let key = tokenID.withUTF8 { Key(token: UnsafeRawBufferPointer($0)) }
        return self.storage.insertIfAbsent(true, for: key, expiresAt: expiry, now: now)
    }
}
