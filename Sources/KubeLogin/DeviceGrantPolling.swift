public import Foundation
public import OIDC

/// The polling of a device login (RFC 8628 §3.4–3.5) as a state machine: after each answer of the token endpoint
/// it says whether to wait and poll again, and how long, or to stop.
///
/// `authorization_pending`: poll again after the interval. `slow_down`: the interval grows by 5 seconds, for this
/// and every later poll. `expired_token`, `access_denied`, any other error, or a next poll that would come after
/// the device code expired: stop with an error.
public struct DeviceGrantPolling: Sendable, Hashable {
    /// What the token endpoint answered one poll with.
    public enum Answer: Sendable, Hashable {
        /// Tokens: the user approved.
        case tokens(OIDCTokenResponse)
        /// `authorization_pending`.
        case pending
        /// `slow_down`.
        case slowDown
        /// `expired_token`.
        case expired
        /// `access_denied`.
        case denied
        /// Anything else, with a message for the user.
        case failed(String)

        /// The answer a token endpoint error stands for.
        public init(_ error: OIDCTokenEndpointError) {
            switch error.oauthError {
            case .authorizationPending?: self = .pending
            case .slowDown?: self = .slowDown
            case .expiredToken?: self = .expired
            case .accessDenied?: self = .denied
            default: self = .failed(error.message)
            }
        }
    }

    /// What to do next.
    public enum Action: Sendable, Hashable {
        /// Wait this many seconds, then poll.
        case poll(after: TimeInterval)
        /// The login is done.
        case finished(OIDCTokenResponse)
        /// The login failed.
        case failed(KubeLoginError)
    }

    /// The current polling interval in seconds.
    public private(set) var interval: TimeInterval
    /// When the device code expires.
    public let expiresAt: Date

    /// The polling of `authorization`.
    public init(_ authorization: OIDCDeviceAuthorization) {
        self.init(interval: authorization.interval, expiresAt: authorization.expiresAt)
    }

    /// Polling every `interval` seconds (at least 1) until `expiresAt`.
    public init(interval: TimeInterval, expiresAt: Date) {
        self.interval = max(interval, 1)
        self.expiresAt = expiresAt
    }

    /// The first action: wait one interval (RFC 8628 §3.5: the client polls no more often than the interval).
    public func start(now: Date) -> Action {
        self.scheduleNext(now: now)
    }

    /// The action after `answer`, received at `now`.
    public mutating func next(after answer: Answer, now: Date) -> Action {
        switch answer {
        case .tokens(let response):
            return .finished(response)
        case .pending:
            return self.scheduleNext(now: now)
        case .slowDown:
            self.interval += 5
            return self.scheduleNext(now: now)
        case .expired:
            return .failed(Self.expiredError)
        case .denied:
            return .failed(KubeLoginError("the device login was denied at the provider; run vzauth login again and approve it"))
        case .failed(let message):
            return .failed(KubeLoginError("the device login failed: \(message)"))
        }
    }

    private func scheduleNext(now: Date) -> Action {
        guard now.addingTimeInterval(self.interval) < self.expiresAt else {
            return .failed(Self.expiredError)
        }
        return .poll(after: self.interval)
    }

    private static let expiredError = KubeLoginError(
        "the device code expired before the login was approved; run vzauth login again and approve it sooner")
}
