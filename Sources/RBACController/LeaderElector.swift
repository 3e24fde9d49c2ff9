import Foundation
public import KubeClient
public import Logging
import Synchronization

/// Leader election on a Lease, as client-go does it.
///
/// A candidate takes the Lease when nobody holds it, or when the holder has not renewed it for a lease duration
/// as measured by the candidate's own clock since it last saw the Lease change (so clock skew between replicas
/// does not matter). Writes are conditional on the version read, so two candidates never both win. The leader
/// renews every retry period and stops leading when it could not renew within the renew deadline; on shutdown it
/// releases the Lease so that another replica takes over at once.
public final class LeaderElector: Sendable {
    private let client: KubernetesClient
    private let configuration: LeaderElectionConfiguration
    private let logger: Logger
    private let state = Mutex<State>(State())

    private struct State {
        /// The Lease spec last seen, and when (local monotonic clock) it was first seen with that content.
        var observedSpec: Lease.Spec?
        var observedAt: ContinuousClock.Instant = .now
        var leading = false
        /// Why the last attempt to read or write the Lease failed; `nil` after one that reached the API server.
        var failure: String? = "not reached yet"
        var warnings = WarningRateLimit()
    }

    /// Creates an elector.
    public init(client: KubernetesClient, configuration: LeaderElectionConfiguration, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
    }

    /// Whether this replica holds the Lease (as of its last successful acquire or renew).
    public var isLeader: Bool { self.state.withLock { $0.leading } }

    /// Why the last attempt to take or renew the Lease failed (the API server could not be reached, or refused the
    /// read or write); `nil` while attempts reach it, even when another replica holds the Lease.
    public var failure: String? { self.state.withLock { $0.failure } }

    /// Waits until this replica holds the Lease. Throws `CancellationError` when cancelled.
    public func acquire() async throws {
        while true {
            try Task.checkCancellation()
            if await self.tryAcquireOrRenew() {
                self.logger.info("became the leader", metadata: ["lease": "\(self.leaseKey)", "identity": "\(self.configuration.identity)"])
                return
            }
            try await Task.sleep(for: self.configuration.retryPeriod)
        }
    }

    /// Renews the Lease every retry period; returns when leadership is lost (no renewal within the renew deadline,
    /// or another holder). Throws `CancellationError` when cancelled.
    public func holdLeadership() async throws {
        var lastRenewal = ContinuousClock.Instant.now
        while true {
            try await Task.sleep(for: self.configuration.retryPeriod)
            if await self.tryAcquireOrRenew() {
                lastRenewal = .now
            } else if !self.isLeader || ContinuousClock.Instant.now - lastRenewal > self.configuration.renewDeadline {
                self.state.withLock { $0.leading = false }
                self.logger.warning("lost the leadership", metadata: ["lease": "\(self.leaseKey)"])
                return
            }
        }
    }

    /// Gives the Lease up if this replica holds it (on shutdown), so that another replica need not wait.
    ///
    /// A renewal still in flight when shutdown began can change the Lease between the read and the write here; the
    /// release then reads it again (while this replica is still the holder).
    public func release() async {
        guard self.isLeader else { return }
        self.state.withLock { $0.leading = false }
        do {
            let released = try await self.client.retryingOnConflict { () async throws -> Bool in
                var lease = try await self.client.get(Lease.self, Lease.resource, namespace: self.configuration.namespace,
                                                      name: self.configuration.name)
                guard lease.spec.holderIdentity == self.configuration.identity else { return false }
                lease.spec.holderIdentity = nil
                lease.spec.leaseDurationSeconds = 1
                lease.spec.renewTime = Self.microTime(Date())
                _ = try await self.client.update(lease, Lease.resource, namespace: self.configuration.namespace,
                                                 name: self.configuration.name)
                return true
            }
            if released { self.logger.info("released the leadership", metadata: ["lease": "\(self.leaseKey)"]) }
        } catch {
            self.logger.warning("could not release the lease", metadata: ["lease": "\(self.leaseKey)", "error": "\(error)"])
        }
    }

    /// One attempt; true when this replica holds the Lease afterwards.
    func tryAcquireOrRenew() async -> Bool {
        let now = Date()
        let identity = self.configuration.identity
        let durationSeconds = Int(self.configuration.leaseDuration.components.seconds)
        do {
            let lease: Lease
            do {
                lease = try await self.client.get(Lease.self, Lease.resource, namespace: self.configuration.namespace,
                                                  name: self.configuration.name)
            } catch let error as KubeAPIError where error.isNotFound {
                let new = Lease(
                    metadata: KubeObjectMeta(name: self.configuration.name, namespace: self.configuration.namespace),
                    spec: .init(holderIdentity: identity, leaseDurationSeconds: durationSeconds,
                                acquireTime: Self.microTime(now), renewTime: Self.microTime(now), leaseTransitions: 0))
                let created = try await self.client.create(new, Lease.resource, namespace: self.configuration.namespace)
                self.observe(created.spec, leading: true)
                return true
            }
            let holder = lease.spec.holderIdentity ?? ""
            // The holder's renewals change the spec; the clock starts again at every change seen.
            self.state.withLock { state in
                if state.observedSpec != lease.spec {
                    state.observedSpec = lease.spec
                    state.observedAt = .now
                }
            }
            if !holder.isEmpty && holder != identity {
                let validFor = Duration.seconds(lease.spec.leaseDurationSeconds ?? durationSeconds)
                let expired = self.state.withLock { ContinuousClock.Instant.now - $0.observedAt > validFor }
                if !expired {
                    self.state.withLock { state in
                        state.leading = false
                        state.failure = nil
                        state.warnings.reset()
                    }
                    return false
                }
            }
            var updated = lease
            if holder != identity {
                updated.spec.acquireTime = Self.microTime(now)
                // As client-go: every acquisition by a replica that did not hold it counts, a released Lease's too.
                updated.spec.leaseTransitions = (lease.spec.leaseTransitions ?? 0) + 1
            }
            updated.spec.holderIdentity = identity
            updated.spec.leaseDurationSeconds = durationSeconds
            updated.spec.renewTime = Self.microTime(now)
            let stored = try await self.client.update(updated, Lease.resource, namespace: self.configuration.namespace,
                                                      name: self.configuration.name)
            self.observe(stored.spec, leading: true)
            return true
        } catch {
            let reason = "\(error)"
            let (log, suppressed) = self.state.withLock { state in
                state.failure = reason
                return state.warnings.admit()
            }
            if log {
                var metadata: Logger.Metadata = ["lease": "\(self.leaseKey)", "reason": "\(reason)"]
                if suppressed > 0 { metadata["repeated"] = "\(suppressed)" }
                self.logger.warning("cannot reach the API server to take or renew the Lease; retrying", metadata: metadata)
            }
            return false
        }
    }

    private func observe(_ spec: Lease.Spec, leading: Bool) {
        self.state.withLock { state in
            state.observedSpec = spec
            state.observedAt = .now
            state.leading = leading
            state.failure = nil
            state.warnings.reset()
        }
    }

    private var leaseKey: String { "\(self.configuration.namespace)/\(self.configuration.name)" }

    /// `2006-01-02T15:04:05.000000Z`, the MicroTime format.
    static func microTime(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = Int64(seconds.rounded(.down))
        let micros = Int64(((seconds - Double(whole)) * 1_000_000).rounded(.down))
        let base = Date(timeIntervalSince1970: TimeInterval(whole)).formatted(Date.ISO8601FormatStyle())
        let fraction = String(micros)
        return base.dropLast() + "." + String(repeating: "0", count: 6 - fraction.count) + fraction + "Z"
    }
}
