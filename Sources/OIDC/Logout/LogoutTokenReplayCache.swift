import Foundation
import NIOConcurrencyHelpers

/// Remembers the `jti` of accepted logout tokens until they could no longer be accepted anyway, to refuse replays.
///
/// Bounded: keys are SHA-256 digests (a long `jti` costs no more than a short one), expired entries are swept when
/// the cache is full, and if that is not enough the entries closest to expiry are dropped down to seven eighths of
/// the capacity (a dropped entry could be replayed, which at worst ends an already ended session again).
final class LogoutTokenReplayCache: Sendable {
    typealias Key = VerifiedTokenCache.Key

    let capacity: Int
    private let entries: NIOLockedValueBox<[Key: Date]>

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        self.entries = NIOLockedValueBox([:])
    }

    /// The number of remembered token ids (expired ones included until swept).
    var count: Int {
        self.entries.withLockedValue { $0.count }
    }

    /// Records `tokenID` as used until `expiry`; `false` if it is already recorded and not yet expired at `now`.
    func remember(_ tokenID: String, until expiry: Date, now: Date) -> Bool {
        var tokenID = tokenID
        let key = tokenID.withUTF8 { Key(token: UnsafeRawBufferPointer($0)) }
        let capacity = self.capacity
        return self.entries.withLockedValue { entries in
            if let existing = entries[key], now < existing {
                return false
            }
            if entries.count >= capacity, entries[key] == nil {
                entries = entries.filter { now < $0.value }
                if entries.count >= capacity {
                    let keep = capacity - max(1, capacity / 8)
                    let latest = entries.sorted { $0.value > $1.value }.prefix(keep)
                    entries = Dictionary(uniqueKeysWithValues: latest.map { ($0.key, $0.value) })
                }
            }
            entries[key] = expiry
            return true
        }
    }
}
