public import KubeClient
public import Logging
import Synchronization

/// Keeps a ``ClusterDirectory`` current: watches the `VerrazzanoManagedCluster`s and Secrets of the managed-cluster
/// namespace with the proxy's own credential and recomputes the directory after every change, so that a cluster
/// registered, changed or deleted is seen within the watch's latency (normally well under a second).
///
/// Needs `get`, `list` and `watch` on `verrazzanomanagedclusters.clusters.verrazzano.io` and on `secrets` in that
/// namespace (a Role). Of the Secrets only the key `cacrt` is kept (``ClusterCASecret``).
///
/// ```swift
/// let watcher = ClusterWatcher(namespace: "verrazzano-mc", logger: logger)
/// // in a service's run(): until cancelled
/// await watcher.run(client: client)
/// // per request
/// let endpoint = try watcher.directory.endpoint(for: name)
/// ```
public final class ClusterWatcher: Sendable {
    /// The namespace watched.
    public let namespace: String
    private let timing: KubeInformerTiming
    private let logger: Logger
    private let clusters: KubeInformer<VerrazzanoManagedCluster>
    private let secrets: KubeInformer<ClusterCASecret>
    private let current = Mutex(ClusterDirectory())

    /// Creates a watcher of `namespace`; nothing happens until ``run(client:)``.
    public init(
        namespace: String = VerrazzanoManagedCluster.defaultNamespace,
        timing: KubeInformerTiming = KubeInformerTiming(),
        logger: Logger = Logger(label: "vzauth.multicluster")
    ) {
        self.namespace = namespace
        self.timing = timing
        self.logger = logger
        self.clusters = KubeInformer(.init(resource: VerrazzanoManagedCluster.resource, namespace: namespace))
        self.secrets = KubeInformer(.init(resource: .secrets, namespace: namespace))
    }

    /// The directory as of the last change seen (empty until both lists completed).
    public var directory: ClusterDirectory { self.current.withLock { $0 } }

    /// Whether both the VMCs and the Secrets have been listed once (readiness).
    public var isSynced: Bool { self.clusters.isSynced && self.secrets.isSynced }

    /// Lists and watches until the task is cancelled.
    public func run(client: KubernetesClient) async {
        let timing = self.timing
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await self.clusters.run(client: client, timing: timing, logger: self.logger) { self.recompute() }
            }
            group.addTask {
                await self.secrets.run(client: client, timing: timing, logger: self.logger) { self.recompute() }
            }
        }
    }

    /// Recomputes the directory from both mirrors (once both are synced, so that a VMC seen before its Secret is
    /// not briefly reported as unusable). Computed under the directory's lock, so that of two changes seen at once
    /// the later snapshot always wins.
    private func recompute() {
        guard self.isSynced else { return }
        let (before, directory) = self.current.withLock { current in
            let before = current
            current = ClusterDirectory(
                clusters: self.clusters.objects.values, secrets: self.secrets.objects.values, namespace: self.namespace)
            return (before.states, current)
        }
        guard before != directory.states else { return }
        for name in Set(before.keys).union(directory.states.keys).sorted() where before[name] != directory.states[name] {
            switch directory.states[name] {
            case nil: self.logger.info("cluster removed", metadata: ["cluster": "\(name)"])
            case .notRegistered?: self.logger.info("cluster not registered yet", metadata: ["cluster": "\(name)"])
            case .unusable(let problem)?:
                self.logger.warning("cluster unusable", metadata: ["cluster": "\(name)", "problem": "\(problem)"])
            case .ready(let endpoint)?:
                self.logger.info("cluster ready", metadata: ["cluster": "\(name)", "url": "\(endpoint.url)"])
            }
        }
    }
}
