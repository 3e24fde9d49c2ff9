import OIDC
import ProxyCore
import Prometheus

/// Counts each issuer's key loads by trigger and outcome, and says whether its keys are loaded.
struct KeyRefreshMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let loads: CounterFamily

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        loads = CounterFamily(registry: registry, name: "vzauth_oidc_key_refreshes_total", labels: ["issuer", "trigger", "outcome"],
                              help: "Loads of an issuer's discovery document and keys, by issuer, trigger and outcome.")
    }

    /// What observes `issuer`'s key provider: it counts each load by trigger (`startup`, `periodic`, `unknown_key`)
    /// and outcome (`success` or a failure reason), and sets `vzauth_oidc_issuer_keys_loaded{issuer}` to 1 once a
    /// load succeeded (0 until then; keys once loaded stay in use when later loads fail).
    func observer(issuer: String) -> @Sendable (KeyRefreshEvent) -> Void {
        let loaded = registry.makeGauge(
            name: "vzauth_oidc_issuer_keys_loaded", labels: [("issuer", issuer)],
            help: "1 once the issuer's signing keys are loaded (tokens of an issuer without keys are refused with 503).")
        loaded.set(to: 0.0)
        // Every trigger and outcome of this issuer's loads is exported at zero from the start.
        let outcomes = ["success"] + KeyRefreshEvent.FailureReason.allCases.map(\.rawValue)
        loads.precreate(KeyRefreshEvent.Trigger.allCases.flatMap { trigger in
            outcomes.map { [issuer, trigger.rawValue, $0] }
        })
        return { [loads] event in
            let outcome: String
            switch event.outcome {
            case .success:
                outcome = "success"
                loaded.set(to: 1.0)
            case .failure(let reason):
                outcome = reason.rawValue
            }
            loads.increment([issuer, event.trigger.rawValue, outcome])
        }
    }
}
