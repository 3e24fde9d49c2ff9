public import Foundation
import OIDC

/// The sessions this instance has been told to end by back-channel logout: by Keycloak session id (`sid`) or by
/// user (`sub`, every session that user began before the logout).
///
/// In memory and per instance: entries are kept for `retention` after the logout (the longest a session cookie can
/// live without a refresh) and at most `capacity` of each kind (``ExpiringCache``: the oldest are forgotten first).
public final class LogoutRegistry: Sendable {
    /// Logout times by Keycloak session id.
    private let sessions: ExpiringCache<String, Date>
    /// Logout times by user.
    private let subjects: ExpiringCache<String, Date>
    private let retention: TimeInterval

    /// Creates a registry.
    public init(retention: TimeInterval, capacity: Int = 100_000) {
        self.retention = retention
        self.sessions = ExpiringCache(capacity: capacity)
        self.subjects = ExpiringCache(capacity: capacity)
    }

    /// Records a logout: of one Keycloak session when `sessionID` is given, else of every session of `subject`
    /// begun up to `time`.
    public func recordLogout(subject: String?, sessionID: String?, at time: Date) {
        let cache: ExpiringCache<String, Date>
        let key: String
        if let sessionID {
            (cache, key) = (self.sessions, sessionID)
        } else if let subject {
            (cache, key) = (self.subjects, subject)
        } else {
            return
        }
        cache.update(key, now: time) { existing in
            let latest = max(existing ?? time, time)
            return (latest, latest.addingTimeInterval(self.retention))
        }
    }

    /// Whether a session (its user, Keycloak session id and the time it began) has been logged out, as known at
    /// `now` (a logout is forgotten `retention` after it happened).
    public func isLoggedOut(subject: String?, sessionID: String?, sessionStart: Date, now: Date) -> Bool {
        if let sessionID, self.sessions.value(for: sessionID, now: now) != nil { return true }
        if let subject, let loggedOutAt = self.subjects.value(for: subject, now: now), sessionStart <= loggedOutAt { return true }
        return false
    }
}
