import NIOHTTP1
public import Foundation
public import KubeClient
import NIOCore
import OIDC
import Synchronization

/// Decides whether a user may use a managed cluster: whether the admin API server lets them `get` its
/// `VerrazzanoManagedCluster` (the property Verrazzano had by reading the VMC as the user), asked with a
/// ``SubjectAccessReview`` under the proxy's own credential.
///
/// Decisions are cached per user, UID, groups and cluster for ``cacheDuration`` (at most 10 s: a revoked permission
/// takes effect within that), in the project's one bounded cache, ``ExpiringCache``. Concurrent checks of the same
/// key share one review (single flight): a burst of requests by one user for one cluster causes one review, and the
/// next one only after the decision expired. A failed review is not cached; the checks waiting on it share its
/// failure, except when the check that made it was cancelled: then one of them tries again.
///
/// - Important: A check waiting on another's review is not cancelled with its task; it waits at most as long as the
///   review's deadline (the client's request timeout).
public final class ClusterAccessCheck: Sendable {
    /// Sends one review and returns the API server's answer.
    public typealias Reviewer = @Sendable (SubjectAccessReview) async throws -> SubjectAccessReview.Status

    /// The longest a decision may be cached: 10 s.
    public static let maximumCacheDuration: Duration = .seconds(10)

    /// The namespace of the VMCs.
    public let namespace: String
    /// How long decisions are cached (at most ``maximumCacheDuration``).
    public let cacheDuration: Duration
    private let review: Reviewer
    private let now: @Sendable () -> Date
    private let cache: ExpiringCache<Key, Bool>
    private let flights = Mutex<[Key: [CheckedContinuation<Outcome?, Never>]]>([:])

    private struct Key: Hashable, Sendable {
        var subject: AccessSubject
        var cluster: ClusterName
    }

    /// What a review led to, handed to the checks that waited for it.
    private enum Outcome: Sendable {
        case decided(Bool)
        case failed(ClusterAccessError)
        /// The review's task was cancelled: look again (one waiter becomes the next to ask).
        case retry
    }

    /// Creates a check that asks with `review`.
    ///
    /// - Parameters:
    ///   - namespace: The namespace of the VMCs (`--managed-cluster-namespace`).
    ///   - cacheDuration: How long a decision is kept; more than 10 s is cut to 10 s, zero or less caches nothing.
    ///   - capacity: The most decisions kept.
    ///   - now: The clock (injectable for tests).
    ///   - review: Sends a review.
    public init(
        namespace: String = VerrazzanoManagedCluster.defaultNamespace,
        cacheDuration: Duration = maximumCacheDuration,
        capacity: Int = 10_000,
        now: @escaping @Sendable () -> Date = { Date() },
        review: @escaping Reviewer
    ) {
        self.namespace = namespace
        self.cacheDuration = min(cacheDuration, Self.maximumCacheDuration)
        self.review = review
        self.now = now
        self.cache = ExpiringCache(capacity: self.cacheDuration > .zero ? capacity : 0)
    }

    /// Creates a check that sends reviews with `client` (the proxy's own credential).
    public convenience init(
        client: KubernetesClient,
        namespace: String = VerrazzanoManagedCluster.defaultNamespace,
        cacheDuration: Duration = maximumCacheDuration,
        capacity: Int = 10_000,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.init(namespace: namespace, cacheDuration: cacheDuration, capacity: capacity, now: now,
                  review: SubjectAccessReview.sender(client))
    }

    /// The decision for `subject` and `cluster`: forbidden unless the review allows it, then whether `directory`
    /// has the cluster.
    ///
    /// - Throws: ``ClusterAccessError`` (503) when the review could not be made.
    public func decide(
        _ subject: AccessSubject, cluster: ClusterName, directory: ClusterDirectory
    ) async throws(ClusterAccessError) -> ClusterAccessDecision {
        guard try await self.isAllowed(subject, cluster: cluster) else { return .forbidden(cluster) }
        return directory[cluster] == nil ? .noSuchCluster(cluster) : .allowed(cluster)
    }

    /// Whether `subject` may `get` the VMC `cluster` (from the cache, another check's review, or a new review).
    ///
    /// - Throws: ``ClusterAccessError`` (503) when the review could not be made.
    public func isAllowed(_ subject: AccessSubject, cluster: ClusterName) async throws(ClusterAccessError) -> Bool {
        let key = Key(subject: subject, cluster: cluster)
        while true {
            if let cached = self.cache.value(for: key, now: self.now()) { return cached }
            let joined: Outcome? = await withCheckedContinuation { continuation in
                let leads = self.flights.withLock { flights -> Bool in
                    if flights[key] != nil {
                        flights[key]!.append(continuation)
                        return false
                    }
                    flights[key] = []
                    return true
                }
                if leads { continuation.resume(returning: nil) }
            }
            switch joined {
            case .decided(let allowed)?: return allowed
            case .failed(let error)?: throw error
            case .retry?: continue
            case nil: return try await self.lead(key)
            }
        }
    }

    /// Makes the review for `key` (this check holds the flight) and hands the outcome to those waiting.
    private func lead(_ key: Key) async throws(ClusterAccessError) -> Bool {
        // A flight that ended between the cache lookup and taking the flight has cached its decision.
        if let cached = self.cache.value(for: key, now: self.now()) {
            self.land(key, .decided(cached))
            return cached
        }
        do {
            let status = try await self.review(.clusterAccess(key.subject, cluster: key.cluster, namespace: self.namespace))
            let now = self.now()
            self.cache.insert(status.allowed, for: key, expiresAt: now.addingTimeInterval(self.cacheSeconds), now: now)
            self.land(key, .decided(status.allowed))
            return status.allowed
        } catch {
            if error is CancellationError || Task.isCancelled {
                self.land(key, .retry)
                throw ClusterAccessError(cluster: key.cluster, detail: "the check was cancelled")
            }
            let failure = ClusterAccessError(cluster: key.cluster, detail: "\(error)")
            self.land(key, .failed(failure))
            throw failure
        }
    }

    /// Ends the flight for `key`, handing `outcome` to every waiting check.
    private func land(_ key: Key, _ outcome: Outcome) {
        let waiters = self.flights.withLock { $0.removeValue(forKey: key) } ?? []
        for waiter in waiters { waiter.resume(returning: outcome) }
    }

    private var cacheSeconds: TimeInterval {
        let (seconds, attoseconds) = self.cacheDuration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
