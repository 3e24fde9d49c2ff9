public import Prometheus
import Synchronization

/// A Prometheus counter with labels, whose per-value counters are made on first use and then reused.
///
/// Label values must come from a bounded set chosen by the code (status codes, reasons), never from requests.
public final class CounterFamily: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let name: String
    private let labels: [String]
    private let help: String
    private let counters = Mutex<[String: Counter]>([:])

    /// Creates the family `name{label=...}` in `registry`.
    public convenience init(registry: PrometheusCollectorRegistry, name: String, label: String, help: String) {
        self.init(registry: registry, name: name, labels: [label], help: help)
    }

    /// Creates the family `name{label1=...,label2=...}` in `registry`.
    public init(registry: PrometheusCollectorRegistry, name: String, labels: [String], help: String) {
        self.registry = registry
        self.name = name
        self.labels = labels
        self.help = help
    }

    /// Makes the counters for `values` (of the single label) now, at zero, so that they are exported from the
    /// start rather than from their first increment.
    public func precreate(_ values: [String]) {
        for value in values { _ = counter(key: value, values: CollectionOfOne(value)) }
    }

    /// Makes the counters for each list of label values (one per label, in order) now, at zero.
    public func precreate(_ combinations: [[String]]) {
        for values in combinations { _ = counter(key: values.joined(separator: "\u{0}"), values: values) }
    }

    /// Adds one to the counter for the single label's `value`.
    public func increment(_ value: String) {
        counter(key: value, values: CollectionOfOne(value)).increment()
    }

    /// Adds one to the counter for `values`, one per label, in order.
    public func increment(_ values: [String]) {
        counter(key: values.joined(separator: "\u{0}"), values: values).increment()
    }

    private func counter(key: String, values: some Collection<String>) -> Counter {
        counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help),
                labels: Array(zip(labels, values)))
            counters[key] = counter
            return counter
        }
    }
}
