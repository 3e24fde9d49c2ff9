public import Foundation

/// When to refresh an access token: a pure function of its issue time, expiry and the current time.
///
/// The token is refreshed during the last *margin* of its lifetime, where
/// `margin = min(maximumMargin, lifetime × lifetimeFraction)` (by default `min(30 s, lifetime / 10)`): a
/// 5-minute token is refreshed in its last 30 s, a 1-minute token in its last 6 s, a 5-second token in its last
/// 0.5 s. The margin shrinks with the lifetime so that an identity provider issuing very short tokens does not
/// cause a refresh on every request.
public struct RefreshSchedule: Sendable, Hashable {
    /// What to do with a session's access token.
    public enum Decision: Sendable, Hashable {
        /// Valid and outside the margin: forward as is.
        case fresh
        /// Still valid but inside the margin: refresh now (once; concurrent requests may still be forwarded with
        /// the current session while the refresh runs).
        case refreshNow
        /// Past its expiry: the request must wait for a successful refresh (or start a new login).
        case expired
    }

    /// The largest margin, in seconds.
    public let maximumMargin: TimeInterval
    /// The margin as a fraction of the lifetime, 0 ... 1.
    public let lifetimeFraction: Double

    /// Creates a schedule; negative or non-finite arguments count as 0, a fraction above 1 as 1.
    public init(maximumMargin: TimeInterval = 30, lifetimeFraction: Double = 0.1) {
        self.maximumMargin = maximumMargin.isFinite ? max(0, maximumMargin) : 0
        self.lifetimeFraction = lifetimeFraction.isFinite ? min(max(0, lifetimeFraction), 1) : 0
    }

    /// The margin for a token living `lifetime` seconds (0 for a lifetime of 0 or less).
    public func margin(forLifetime lifetime: TimeInterval) -> TimeInterval {
        guard lifetime.isFinite, lifetime > 0 else { return 0 }
        return min(self.maximumMargin, lifetime * self.lifetimeFraction)
    }

    /// The instant from which the token should be refreshed.
    public func refreshTime(issuedAt: Date, expiresAt: Date) -> Date {
        expiresAt.addingTimeInterval(-self.margin(forLifetime: expiresAt.timeIntervalSince(issuedAt)))
    }

    /// The decision for a token issued at `issuedAt` and expiring at `expiresAt`, at `now`.
    ///
    /// ``Decision/expired`` from `expiresAt` on; ``Decision/refreshNow`` from ``refreshTime(issuedAt:expiresAt:)``
    /// on; ``Decision/fresh`` before.
    public func decision(issuedAt: Date, expiresAt: Date, now: Date) -> Decision {
        if now >= expiresAt {
            return .expired
        }
        if now >= self.refreshTime(issuedAt: issuedAt, expiresAt: expiresAt) {
            return .refreshNow
        }
        return .fresh
    }

    /// The decision for a token issued at `issuedAt` and living `lifetime` seconds, at `now`.
    public func decision(issuedAt: Date, lifetime: TimeInterval, now: Date) -> Decision {
        self.decision(issuedAt: issuedAt, expiresAt: issuedAt.addingTimeInterval(lifetime), now: now)
    }
}
