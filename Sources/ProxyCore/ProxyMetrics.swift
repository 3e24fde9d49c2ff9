public import Prometheus
import Synchronization

/// The forwarder's metrics, registered in a caller-owned Prometheus registry.
///
/// Label values are bounded: status codes, HTTP methods from a fixed set, and error kinds chosen by this module.
public final class ProxyMetrics: Sendable {
    /// The registry the metrics live in (also used by the management listener to render `/metrics`).
    public let registry: PrometheusCollectorRegistry
    private let prefix: String
    private let latency: DurationHistogram
    private let requestCounters: Mutex<[Int: Counter]>
    private let upstreamErrorCounters: Mutex<[String: Counter]>
    private let refusalCounters: Mutex<[String: Counter]>
    private let activeUpgrades: Gauge

    /// Creates the metrics under `prefix` (e.g. `vzauth_api_proxy`).
    public init(registry: PrometheusCollectorRegistry, prefix: String) {
        self.registry = registry
        self.prefix = prefix
        self.latency = registry.makeDurationHistogram(
            name: "\(prefix)_request_duration_seconds",
            buckets: [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                      .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                      .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30)],
            help: "Time from the request head to the end of the response (watches and upgrades included)."
        )
        self.activeUpgrades = registry.makeGauge(
            name: "\(prefix)_upgraded_connections", help: "Connections relaying bytes after a protocol switch.")
        self.requestCounters = Mutex([:])
        self.upstreamErrorCounters = Mutex([:])
        self.refusalCounters = Mutex([:])
    }

    /// Counts one finished request with its status code and records its duration.
    public func recordRequest(status: Int, duration: Duration) {
        latency.record(duration)
        let counter = requestCounters.withLock { counters in
            if let counter = counters[status] { return counter }
            let counter = registry.makeCounter(
                name: "\(prefix)_requests_total", labels: [("code", String(status))],
                help: "Requests answered, by status code.")
            counters[status] = counter
            return counter
        }
        counter.increment()
    }

    /// Counts a failure to reach or talk to the upstream (`connect`, `tls`, `reset`, ...).
    public func recordUpstreamError(kind: String) {
        counter(in: upstreamErrorCounters, name: "upstream_errors_total", label: "kind", value: kind,
                help: "Failures talking to the upstream, by kind.").increment()
    }

    /// Counts a request the policy refused, by a bounded reason (`expired`, `impersonation_header`, ...).
    public func recordRefusal(reason: String) {
        counter(in: refusalCounters, name: "refused_requests_total", label: "reason", value: reason,
                help: "Requests refused before forwarding, by reason.").increment()
    }

    func upgradeStarted() { activeUpgrades.increment() }
    func upgradeEnded() { activeUpgrades.decrement() }

    private func counter(in box: borrowing Mutex<[String: Counter]>, name: String, label: String, value: String, help: String) -> Counter {
        box.withLock { counters in
            if let counter = counters[value] { return counter }
            let counter = registry.makeCounter(name: "\(prefix)_\(name)", labels: [(label, value)], help: help)
            counters[value] = counter
            return counter
        }
    }
}
