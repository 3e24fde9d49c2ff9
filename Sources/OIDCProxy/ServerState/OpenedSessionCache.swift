import Foundation
import OIDC

/// Sessions already opened, by their exact sealed cookie value: a browser sends the same cookie with every
/// request until the next refresh, and opening it (base64, AES-GCM, decoding) is the proxy's largest per-request
/// cost after HTTP itself.
///
/// Only values that opened successfully are kept, each until the expiry the cookie was sealed with; lookups compare
/// the whole value. Bounded (an ``ExpiringCache``: when full, the expired go first, then those closest to expiry).
final class OpenedSessionCache: Sendable {
    private let entries: ExpiringCache<String, SessionPayload>

    init(capacity: Int = 4_096) {
        self.entries = ExpiringCache(capacity: capacity)
    }

    /// The session sealed as `value`, if it was opened before and is still valid at `now`.
    func session(for value: String, now: Date) -> SessionPayload? {
        self.entries.value(for: value, now: now)
    }

    /// Remembers that `value` opens to `session` until `validUntil`.
    func insert(_ session: SessionPayload, for value: String, validUntil: Date, now: Date) {
        self.entries.insert(session, for: value, expiresAt: validUntil, now: now)
    }
}
