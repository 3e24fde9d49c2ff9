import ProxyCore
public import Prometheus

/// The OIDC proxy's own metrics, next to the forwarder's ``ProxyMetrics`` in the same registry.
///
/// Label values come from fixed sets chosen by this module.
public final class OIDCProxyMetrics: Sendable {
    private let logins: CounterFamily
    private let refreshes: CounterFamily
    private let rejectedSessions: CounterFamily
    private let authenticationFailures: CounterFamily
    private let logouts: CounterFamily

    /// Creates the metrics under `prefix` (e.g. `vzauth_oidc_proxy`).
    public init(registry: PrometheusCollectorRegistry, prefix: String) {
        logins = CounterFamily(registry: registry, name: "\(prefix)_logins_total", label: "outcome",
                               help: "Browser logins: started (redirect to the identity provider), completed, failed.")
        refreshes = CounterFamily(registry: registry, name: "\(prefix)_session_refreshes_total", label: "outcome",
                                  help: "Session refreshes with the refresh token, by outcome.")
        rejectedSessions = CounterFamily(registry: registry, name: "\(prefix)_sessions_rejected_total", label: "reason",
                                         help: "Session cookies not accepted, by reason (tampered, expired, logged_out, ...).")
        authenticationFailures = CounterFamily(
            registry: registry, name: "\(prefix)_authentication_failures_total", label: "reason",
            help: "Bearer, Basic and login failures, by reason.")
        logouts = CounterFamily(registry: registry, name: "\(prefix)_logouts_total", label: "kind",
                                help: "Logouts: by the user (front channel) or by the identity provider (back channel).")
        // Exported at zero from the start: every outcome and kind these counters know.
        logins.precreate(Self.loginOutcomes)
        refreshes.precreate(Self.refreshOutcomes)
        logouts.precreate(Self.logoutKinds)
    }

    /// The `outcome`s of `_logins_total`, exported at zero from the start.
    public static let loginOutcomes = ["started", "completed", "failed"]
    /// The `outcome`s of `_session_refreshes_total`, exported at zero from the start.
    public static let refreshOutcomes = ["renewed", "refused", "rejected", "unavailable"]
    /// The `kind`s of `_logouts_total`, exported at zero from the start.
    public static let logoutKinds = ["front_channel", "back_channel"]

    func login(_ outcome: String) { logins.increment(outcome) }
    func refresh(_ outcome: String) { refreshes.increment(outcome) }
    func sessionRejected(_ reason: String) { rejectedSessions.increment(reason) }
    func authenticationFailed(_ reason: String) { authenticationFailures.increment(reason) }
    func logout(_ kind: String) { logouts.increment(kind) }
}
