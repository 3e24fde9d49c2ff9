import Foundation
import Synchronization

/// Sessions already opened, by their exact sealed cookie value: a browser sends the same cookie with every
/// request until the next refresh, and opening it (base64, AES-GCM, decoding) is the proxy's largest per-request
/// cost after HTTP itself.
///
/// Only values that opened successfully are kept, each until the expiry the cookie was sealed with; lookups compare
/// the whole value. Bounded: when full, the cache starts over.
final class OpenedSessionCache: Sendable {
    private struct Entry {
        var session: SessionPayload
        var validUntil: Date
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let capacity: Int

    init(capacity: Int = 4_096) {
        self.capacity = capacity
    }

    /// The session sealed as `value`, if it was opened before and is still valid at `now`.
    func session(for value: String, now: Date) -> SessionPayload? {
        entries.withLock { entries in
            guard let entry = entries[value] else { return nil }
            guard entry.validUntil > now else {
                entries[value] = nil
                return nil
            }
            return entry.session
        }
    }

    /// Remembers that `value` opens to `session` until `validUntil`.
    func insert(_ session: SessionPayload, for value: String, validUntil: Date) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[value] = Entry(session: session, validUntil: validUntil)
        }
    }
}
