import Crypto
import Foundation
import NIOConcurrencyHelpers

/// A bounded, thread-safe cache of verified tokens, keyed by the SHA-256 of the token (raw tokens are never kept).
///
/// An entry is good until the token's `exp` (no leeway) and is checked against the clock on every hit. When the
/// cache is full, expired entries are swept first; if that frees less than an eighth of the capacity, arbitrary
/// entries (hash-table order, which is effectively random) are dropped down to seven eighths, so the O(n) sweep is
/// amortised over many insertions.
final class VerifiedTokenCache: Sendable {
    struct Key: Hashable, Sendable {
        let word0: UInt64
        let word1: UInt64
        let word2: UInt64
        let word3: UInt64

        init(token: UnsafeRawBufferPointer) {
            let digest = SHA256.hash(data: token)
            (self.word0, self.word1, self.word2, self.word3) = digest.withUnsafeBytes { raw in
                (
                    raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                    raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                    raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
                    raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
                )
            }
        }
    }

    struct Entry: Sendable {
        let identity: Identity
        /// The `kid` that verified the token; a hit is ignored once that key left the key set.
        let keyID: String?
    }

    let capacity: Int
    private let entries: NIOLockedValueBox<[Key: Entry]>

    init(capacity: Int) {
        self.capacity = max(0, capacity)
        self.entries = NIOLockedValueBox([:])
    }

    /// The number of entries (expired ones included until swept).
    var count: Int {
        self.entries.withLockedValue { $0.count }
    }

    /// The entry for `key` if it has not expired at `now`; an expired entry is removed.
    func lookup(_ key: Key, now: Date) -> Entry? {
        guard self.capacity > 0 else {
            return nil
        }
        return self.entries.withLockedValue { entries in
            guard let entry = entries[key] else {
                return nil
            }
            guard now < entry.identity.expiresAt else {
                entries[key] = nil
                return nil
            }
            return entry
        }
    }

    /// Removes the entry for `key`.
    func remove(_ key: Key) {
        _ = self.entries.withLockedValue { $0.removeValue(forKey: key) }
    }

    /// Stores `entry` unless it has already expired at `now`.
    func insert(_ entry: Entry, for key: Key, now: Date) {
        guard self.capacity > 0, now < entry.identity.expiresAt else {
            return
        }
        let capacity = self.capacity
        self.entries.withLockedValue { entries in
            if entries.count >= capacity, entries[key] == nil {
                Self.makeRoom(in: &entries, capacity: capacity, now: now)
            }
            entries[key] = entry
        }
    }

    private static func makeRoom(in entries: inout [Key: Entry], capacity: Int, now: Date) {
        let target = capacity - max(1, capacity / 8)
        entries = entries.filter { now < $0.value.identity.expiresAt }
        var excess = entries.count - target
        if excess > 0 {
            entries = entries.filter { _ in
                guard excess > 0 else { return true }
                excess -= 1
                return false
            }
        }
    }
}
