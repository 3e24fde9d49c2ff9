public import Prometheus
import ProxyCore

/// The API proxy's own metrics, next to the forwarder's ``ProxyCore/ProxyMetrics`` in the same registry.
public final class APIProxyMetrics: Sendable {
    private let authenticationFailures: CounterFamily

    /// Creates the metrics: bearer tokens refused, as `vzauth_authentication_failures_total{reason=...}` (the
    /// reasons are ``OIDC/OIDCError/metricLabel``s).
    public init(registry: PrometheusCollectorRegistry) {
        authenticationFailures = CounterFamily(registry: registry, name: "vzauth_authentication_failures_total",
                                               label: "reason", help: "Bearer tokens refused, by reason.")
    }

    func authenticationFailed(_ reason: String) { authenticationFailures.increment(reason) }
}
