public import KubeClient

/// A `coordination.k8s.io/v1` Lease: who holds a lock, and since when it was last renewed.
public struct Lease: Codable, Sendable, Hashable {
    /// Where Leases are served.
    public static let resource = KubeResource(group: "coordination.k8s.io", version: "v1", resource: "leases", namespaced: true)

    /// The Lease's spec.
    public struct Spec: Codable, Sendable, Hashable {
        /// The holder's identity; empty or absent when released.
        public var holderIdentity: String?
        /// How long the Lease is valid after ``renewTime``.
        public var leaseDurationSeconds: Int?
        /// When the current holder acquired it (MicroTime, RFC 3339 with microseconds).
        public var acquireTime: String?
        /// When the holder last renewed it.
        public var renewTime: String?
        /// How many times it changed hands.
        public var leaseTransitions: Int?

        /// Creates a spec.
        public init(holderIdentity: String? = nil, leaseDurationSeconds: Int? = nil, acquireTime: String? = nil,
                    renewTime: String? = nil, leaseTransitions: Int? = nil) {
            self.holderIdentity = holderIdentity
            self.leaseDurationSeconds = leaseDurationSeconds
            self.acquireTime = acquireTime
            self.renewTime = renewTime
            self.leaseTransitions = leaseTransitions
        }
    }

    /// `coordination.k8s.io/v1`.
    public var apiVersion: String = Self.resource.apiVersion
    /// `Lease`.
    public var kind: String = "Lease"
    /// The metadata.
    public var metadata: KubeObjectMeta
    /// The spec.
    public var spec: Spec

    /// Creates a Lease.
    public init(metadata: KubeObjectMeta, spec: Spec) {
        self.metadata = metadata
        self.spec = spec
    }
}
