public import KubeClient
import VerrazzanoRBAC

/// How the RBAC controller runs: where projects live, how it identifies its writes, and its timings.
public struct ControllerConfiguration: Sendable {
    /// The namespace whose `VerrazzanoProject` resources are reconciled (`verrazzano-mc`).
    public var projectsNamespace: String = VerrazzanoProject.projectsNamespace
    /// The field manager of server-side apply, and the `source.component` of Events.
    public var fieldManager: String = "vzauth-rbac-controller"
    /// The finalizer put on projects so their objects can be cleaned up before they go (Verrazzano's name).
    public var projectFinalizer: String = "project.verrazzano.io"
    /// How often everything is reconciled even without a change (catches what watches cannot see).
    public var resyncPeriod: Duration = .seconds(600)
    /// How long changes are collected before a reconciliation starts (a burst of events gives one pass).
    public var debounce: Duration = .milliseconds(50)
    /// The first and the largest delay between retries after failures (doubling in between).
    public var backoff: Backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(60))
    /// How many writes one pass keeps in flight at most (different objects; writes to one object stay in order).
    ///
    /// client-go's default client rate (5 requests/s, bursts of 10) would make a thousand projects take an hour;
    /// kube-apiserver admits hundreds of mutating requests at once (`--max-mutating-requests-inflight`, 200 by
    /// default, shared out by API Priority and Fairness), so a small fixed number of writes in flight is what
    /// bounds the controller's share: 16 keeps a 2-core API server busy without queueing others behind it.
    public var maximumConcurrentWrites: Int = 16
    /// The server-side timeout of each watch request; the watch is then resumed from the last version.
    public var watchTimeoutSeconds: Int64 = 300
    /// Leader election.
    public var leaderElection: LeaderElectionConfiguration

    /// Creates a configuration; `leaderElection` names the Lease and this replica.
    public init(leaderElection: LeaderElectionConfiguration) {
        self.leaderElection = leaderElection
    }
}

/// Leader election with a `coordination.k8s.io/v1` Lease, as client-go does it: the holder renews the Lease every
/// ``retryPeriod``; others take it over once they have seen no renewal for ``leaseDuration``.
public struct LeaderElectionConfiguration: Sendable {
    /// The Lease's namespace.
    public var namespace: String
    /// The Lease's name.
    public var name: String = "vzauth-rbac-controller"
    /// This replica's identity (unique: the pod name, by default the host name).
    public var identity: String
    /// How long a Lease is honoured without renewal.
    public var leaseDuration: Duration = .seconds(15)
    /// How long the leader keeps trying to renew before it stops leading.
    public var renewDeadline: Duration = .seconds(10)
    /// The pause between attempts to acquire or renew.
    public var retryPeriod: Duration = .seconds(2)

    /// Creates a configuration with client-go's default timings (15 s, 10 s, 2 s).
    public init(namespace: String, identity: String) {
        self.namespace = namespace
        self.identity = identity
    }
}
