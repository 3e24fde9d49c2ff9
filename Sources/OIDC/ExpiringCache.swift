public import Foundation
import Synchronization

/// A bounded, thread-safe map whose entries expire: the one cache type behind verified tokens, logout-token replay
/// protection, password-grant identities and the back-channel logout registry.
///
/// Every entry has an expiry; a lookup at or after it misses and removes the entry. At most ``capacity`` entries are
/// kept: an insertion into a full cache first sweeps the expired ones and, if that frees less than an eighth, drops
/// the entries closest to expiry down to seven eighths of the capacity, so the O(n log n) clean-up is paid once per
/// n/8 insertions. A capacity of 0 keeps nothing.
public final class ExpiringCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value
        var expiresAt: Date
    }

    /// The most entries kept.
    public let capacity: Int
    private let entries = Mutex<[Key: Entry]>([:])

    /// Creates an empty cache holding at most `capacity` entries.
    public init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// The number of entries, expired ones included until they are looked up or swept.
    public var count: Int { self.entries.withLock { $0.count } }

    /// The value for `key` if it has not expired at `now`; an expired entry is removed.
    public func value(for key: Key, now: Date) -> Value? {
        self.entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard now < entry.expiresAt else {
                entries[key] = nil
                return nil
            }
            return entry.value
        }
    }

    /// Stores `value` until `expiresAt`, unless that is not after `now`.
    public func insert(_ value: Value, for key: Key, expiresAt: Date, now: Date) {
        self.update(key, now: now) { _ in (value, expiresAt) }
    }

    /// Stores `value` until `expiresAt` only if `key` has no unexpired entry at `now`; returns whether it did (an
    /// atomic "first use" check).
    public func insertIfAbsent(_ value: Value, for key: Key, expiresAt: Date, now: Date) -> Bool {
        var inserted = false
        self.update(key, now: now) { existing in
            guard existing == nil else { return nil }
            inserted = true
            return (value, expiresAt)
        }
        return inserted
    }

    /// Replaces the entry for `key` with what `change` makes of its unexpired value (`nil`: leave it as it is),
    /// atomically.
    public func update(_ key: Key, now: Date, _ change: (Value?) -> (value: Value, expiresAt: Date)?) {
        guard self.capacity > 0 else { return }
        let capacity = self.capacity
        self.entries.withLock { entries in
            let current = entries[key].flatMap { now < $0.expiresAt ? $0.value : nil }
            guard let (value, expiresAt) = change(current), now < expiresAt else { return }
            if entries[key] == nil, entries.count >= capacity { Self.makeRoom(in: &entries, capacity: capacity, now: now) }
            entries[key] = Entry(value: value, expiresAt: expiresAt)
        }
    }

    /// Removes the entry for `key`.
    public func remove(_ key: Key) {
        _ = self.entries.withLock { $0.removeValue(forKey: key) }
    }

    private static func makeRoom(in entries: inout [Key: Entry], capacity: Int, now: Date) {
        entries = entries.filter { now < $0.value.expiresAt }
        let target = capacity - max(1, capacity / 8)
        guard entries.count > target else { return }
        let kept = entries.sorted { $0.value.expiresAt > $1.value.expiresAt }.prefix(target)
        entries = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
    }
}
