import OIDC
import Prometheus
import Synchronization

/// Counts the OIDC key provider's loads by trigger and outcome.
final class KeyRefreshMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let counters = Mutex<[String: Counter]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func record(_ event: KeyRefreshEvent) {
        let outcome: String
        switch event.outcome {
        case .success: outcome = "success"
        case .failure(let reason): outcome = reason.rawValue
        }
        let key = "\(event.trigger.rawValue)/\(outcome)"
        counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                name: "vzauth_oidc_key_refreshes_total",
                labels: [("trigger", event.trigger.rawValue), ("outcome", outcome)],
                help: "Loads of the issuer's discovery document and keys, by trigger and outcome.")
            counters[key] = counter
            return counter
        }.increment()
    }
}
