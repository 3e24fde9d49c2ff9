import Crypto
import Foundation

/// A bounded, thread-safe cache of verified tokens, keyed by the SHA-256 of the token (raw tokens are never kept):
/// an ``ExpiringCache`` whose entries are good until the token's `exp` (no leeway), checked on every hit.
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

    private let storage: ExpiringCache<Key, Entry>

    init(capacity: Int) {
        self.storage = ExpiringCache(capacity: capacity)
    }

    /// The most entries kept.
    var capacity: Int { self.storage.capacity }

    /// The number of entries (expired ones included until swept).
    var count: Int { self.storage.count }

    /// The entry for `key` if it has not expired at `now`; an expired entry is removed.
    func lookup(_ key: Key, now: Date) -> Entry? {
        self.storage.value(for: key, now: now)
    }

    /// Removes the entry for `key`.
    func remove(_ key: Key) {
        self.storage.remove(key)
    }

    /// Stores `entry` unless it has already expired at `now`.
    func insert(_ entry: Entry, for key: Key, now: Date) {
        self.storage.insert(entry, for: key, expiresAt: entry.identity.expiresAt, now: now)
    }
}
