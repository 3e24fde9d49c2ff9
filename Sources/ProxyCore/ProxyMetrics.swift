public import Prometheus


/// The forwarder's metrics, registered in a caller-owned Prometheus registry.
///
/// Label values are bounded: status codes, HTTP methods from a fixed set, and error kinds chosen by this module.
public final class ProxyMetrics: Sendable {
    /// The registry the metrics live in (also used by the management listener to render `/metrics`).
    public let registry: PrometheusCollectorRegistry
    private let latency: DurationHistogram
    private let requests: CounterFamily
    private let upstreamErrors: CounterFamily
    private let refusals: CounterFamily
    private let activeUpgrades: Gauge

    /// Creates the metrics under `prefix` (e.g. `vzauth_api_proxy`).
    public init(registry: PrometheusCollectorRegistry, prefix: String) {
        self.registry = registry
        self.latency = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                metricName: "\(prefix)_request_duration", unitName: "seconds",
                helpText: "Time from the request head to the end of the response (watches and upgrades included)."),
            buckets: [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                      .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                      .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30)]
        )
        self.activeUpgrades = registry.makeGauge(descriptor: MetricNameDescriptor(
            metricName: "\(prefix)_upgraded_connections", unitName: "",
            helpText: "Connections relaying bytes after a protocol switch."))
        self.requests = CounterFamily(registry: registry, name: "\(prefix)_requests_total", label: "code",
                                      help: "Requests answered, by status code.")
        self.upstreamErrors = CounterFamily(registry: registry, name: "\(prefix)_upstream_errors_total", label: "kind",
                                            help: "Failures talking to the upstream, by kind.")
        self.refusals = CounterFamily(registry: registry, name: "\(prefix)_refused_requests_total", label: "reason",
                                      help: "Requests refused before forwarding, by reason.")
    }

    /// Counts one finished request with its status code and records its duration.
    public func recordRequest(status: Int, duration: Duration) {
        latency.record(duration)
        requests.increment(String(status))
    }

    /// Counts a failure to reach or talk to the upstream (`connect`, `closed`, `reset`).
    public func recordUpstreamError(kind: String) {
        upstreamErrors.increment(kind)
    }

    /// Counts a request the policy refused, by a bounded reason (`expired`, `impersonation_header`, ...).
    public func recordRefusal(reason: String) {
        refusals.increment(reason)
    }

    func upgradeStarted() { activeUpgrades.increment() }
    func upgradeEnded() { activeUpgrades.decrement() }
}
