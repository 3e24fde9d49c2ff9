/// What an ``OIDCKeyProvider`` reports to its observer after each attempt to load keys (for metrics).
public struct KeyRefreshEvent: Sendable, Hashable {
    /// Why keys were loaded.
    public enum Trigger: String, Sendable, Hashable, CaseIterable {
        /// The first load(s), before keys were ever available.
        case startup
        /// The periodic background refresh.
        case periodic
        /// A token named an unknown `kid`.
        case unknownKey = "unknown_key"
    }

    /// Why a load failed; a bounded set, usable as a metric label.
    public enum FailureReason: String, Sendable, Hashable, CaseIterable {
        /// Connection, TLS or timeout failure.
        case transport
        /// The server answered with a status other than 200.
        case httpStatus = "http_status"
        /// The response exceeded ``OIDCProviderConfiguration/maximumResponseSize``.
        case tooLarge = "too_large"
        /// The discovery document or key set could not be parsed.
        case invalidDocument = "invalid_document"
        /// The discovery document names another issuer.
        case issuerMismatch = "issuer_mismatch"
    }

    /// The result of one attempt.
    public enum Outcome: Sendable, Hashable {
        /// Keys were loaded; the number of usable keys.
        case success(keyCount: Int)
        /// Loading failed; the previous keys (if any) stay in use.
        case failure(FailureReason)
    }

    /// Why keys were loaded.
    public var trigger: Trigger
    /// What happened.
    public var outcome: Outcome

    /// Creates an event.
    public init(trigger: Trigger, outcome: Outcome) {
        self.trigger = trigger
        self.outcome = outcome
    }
}
