public import Prometheus

/// The controller's metrics, in a caller-owned Prometheus registry (rendered by the management listener).
///
/// Label values come from small fixed sets chosen by the controller (kinds, actions, results, resources).
public final class ControllerMetrics: Sendable {
    /// The registry the metrics live in.
    public let registry: PrometheusCollectorRegistry
    private let leader: Gauge
    private let reconcileDuration: DurationHistogram
    private let installObjectsReady: Gauge

    /// Creates the metrics, named `vzauth_rbac_controller_*`.
    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.leader = registry.makeGauge(
            descriptor: Self.descriptor("vzauth_rbac_controller_leader", help: "1 while this replica holds the Lease."),
            labels: [])
        self.installObjectsReady = registry.makeGauge(
            descriptor: Self.descriptor("vzauth_rbac_controller_install_objects_ready",
                                        help: "0 while the leader cannot write the role catalogue or the install bindings, else 1."),
            labels: [])
        self.installObjectsReady.set(to: 1.0)
        self.reconcileDuration = registry.makeDurationHistogram(
            descriptor: Self.descriptor("vzauth_rbac_controller_reconcile_duration_seconds",
                                        help: "Time of one reconciliation pass, writes included."),
            labels: [],
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500),
                      .seconds(1), .seconds(5), .seconds(30)])
        for state in ["Succeeded", "Failed", "Pending"] { self.projectGauge(state).set(to: 0.0) }
        // Exported at zero from the start: both results of a pass.
        for result in ["success", "error"] { _ = self.reconcileCounter(result) }
    }

    func setLeader(_ leading: Bool) { self.leader.set(to: leading ? 1.0 : 0.0) }

    /// Sets whether the last pass found the role catalogue and the install bindings written (1) or could not
    /// write them (0).
    func setInstallObjectsReady(_ ready: Bool) { self.installObjectsReady.set(to: ready ? 1.0 : 0.0) }

    /// Counts a pass by `result` (`success`, `error`) and records its duration.
    func recordReconcile(result: String, duration: Duration) {
        self.reconcileDuration.record(duration)
        self.reconcileCounter(result).increment()
    }

    private func reconcileCounter(_ result: String) -> Counter {
        self.registry.makeCounter(
            descriptor: Self.descriptor("vzauth_rbac_controller_reconciles_total",
                                        help: "Reconciliation passes, by result."),
            labels: [("result", result)])
    }

    /// Counts a write by kind (`RoleBinding`, ...), action (`apply`, `create`, `delete`, `label`, `finalizer`,
    /// `status`, `event`) and result (`success`, `conflict`, `error`).
    func recordWrite(kind: String, action: String, result: String) {
        self.registry.makeCounter(
            descriptor: Self.descriptor("vzauth_rbac_controller_writes_total",
                                        help: "Writes to the API server, by kind, action and result."),
            labels: [("kind", kind), ("action", action), ("result", result)]
        ).increment()
    }

    /// Counts a watch that had to start again (`gone`: relisted after 410; `error`: after a failure).
    func recordWatchRestart(resource: String, reason: String) {
        self.registry.makeCounter(
            descriptor: Self.descriptor("vzauth_rbac_controller_watch_restarts_total",
                                        help: "Watches started again, by resource and reason."),
            labels: [("resource", resource), ("reason", reason)]
        ).increment()
    }

    /// Sets how many projects are in each state (`Succeeded`, `Failed`, `Pending`).
    func setProjects(byState counts: [String: Int]) {
        for state in ["Succeeded", "Failed", "Pending"] { self.projectGauge(state).set(to: Double(counts[state] ?? 0)) }
    }

    /// A metric's full name (already carrying its unit) and help text.
    private static func descriptor(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    private func projectGauge(_ state: String) -> Gauge {
        self.registry.makeGauge(
            descriptor: Self.descriptor("vzauth_rbac_controller_projects", help: "Projects by state."),
            labels: [("state", state)])
    }
}
