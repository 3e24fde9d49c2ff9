public import Prometheus
import ProxyCore

/// The API proxy's own metrics, next to the forwarder's ``ProxyCore/ProxyMetrics`` in the same registry.
public final class APIProxyMetrics: Sendable {
    private let authenticationFailures: CounterFamily
    private let clusterRequests: CounterFamily

    /// Creates the metrics: bearer tokens refused, as `vzauth_authentication_failures_total{reason=...}` (the
    /// reasons are ``OIDC/OIDCError/metricLabel``s).
    public init(registry: PrometheusCollectorRegistry) {
        authenticationFailures = CounterFamily(registry: registry, name: "vzauth_authentication_failures_total",
                                               label: "reason", help: "Bearer tokens refused, by reason.")
        clusterRequests = CounterFamily(
            registry: registry, name: "vzauth_api_proxy_cluster_requests_total", labels: ["cluster", "outcome"],
            help: "Requests naming a managed cluster (--managed-clusters), by cluster (a registered name, local, or "
                + "unregistered) and outcome (forwarded, or the refusal's reason).")
    }

    func authenticationFailed(_ reason: String) { authenticationFailures.increment(reason) }

    /// A request that named a cluster: forwarded, or refused for `outcome`.
    func clusterRequest(cluster: String, outcome: String) { clusterRequests.increment([cluster, outcome]) }
}
