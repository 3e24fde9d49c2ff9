public import Foundation
import Synchronization

/// The sessions this instance has been told to end by back-channel logout: by Keycloak session id (`sid`) or by
/// user (`sub`, every session that user began before the logout).
///
/// In memory and per instance: entries are kept for `retention` (the longest a session cookie can live without a
/// refresh) and at most `capacity` of each kind; the oldest are forgotten first.
public final class LogoutRegistry: Sendable {
    private struct State {
        var sessions: [String: Date] = [:]
        var subjects: [String: Date] = [:]
    }

    private let state = Mutex(State())
    private let retention: TimeInterval
    private let capacity: Int

    /// Creates a registry.
    public init(retention: TimeInterval, capacity: Int = 100_000) {
        self.retention = retention
        self.capacity = capacity
    }

    /// Records a logout: of one Keycloak session when `sessionID` is given, else of every session of `subject`
    /// begun up to `time`.
    public func recordLogout(subject: String?, sessionID: String?, at time: Date) {
        state.withLock { state in
            if let sessionID {
                Self.insert(sessionID, time, into: &state.sessions, capacity: capacity, retention: retention, now: time)
            } else if let subject {
                Self.insert(subject, time, into: &state.subjects, capacity: capacity, retention: retention, now: time)
            }
        }
    }

    /// Whether a session (its user, Keycloak session id and the time it began) has been logged out.
    public func isLoggedOut(subject: String?, sessionID: String?, sessionStart: Date) -> Bool {
        state.withLock { state in
            if let sessionID, state.sessions[sessionID] != nil { return true }
            if let subject, let loggedOutAt = state.subjects[subject], sessionStart <= loggedOutAt { return true }
            return false
        }
    }

    private static func insert(_ key: String, _ time: Date, into map: inout [String: Date], capacity: Int,
                               retention: TimeInterval, now: Date) {
        if map.count >= capacity {
            map = map.filter { now.timeIntervalSince($0.value) < retention }
            if map.count >= capacity, let oldest = map.min(by: { $0.value < $1.value })?.key {
                map[oldest] = nil
            }
        }
        map[key] = max(map[key] ?? time, time)
    }
}
