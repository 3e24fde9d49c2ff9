import OIDC
import ProxyCore
import Prometheus

/// Counts the OIDC key provider's loads by trigger and outcome.
struct KeyRefreshMetrics: Sendable {
    private let loads: CounterFamily

    init(registry: PrometheusCollectorRegistry) {
        loads = CounterFamily(registry: registry, name: "vzauth_oidc_key_refreshes_total", labels: ["trigger", "outcome"],
                              help: "Loads of the issuer's discovery document and keys, by trigger and outcome.")
    }

    /// Counts `event` by trigger (`startup`, `periodic`, `unknown_key`) and outcome (`success` or a failure reason).
    func record(_ event: KeyRefreshEvent) {
        let outcome: String
        switch event.outcome {
        case .success: outcome = "success"
        case .failure(let reason): outcome = reason.rawValue
        }
        loads.increment([event.trigger.rawValue, outcome])
    }
}
