/// The status of a ``VerrazzanoProject``: overall state, conditions and the state per cluster.
public struct ProjectStatus: Codable, Sendable, Hashable {
    /// A condition, e.g. type `DeploySucceeded`.
    public struct Condition: Codable, Sendable, Hashable {
        /// The condition type.
        public var type: String?
        /// `True`, `False` or `Unknown`.
        public var status: String?
        /// When the condition last changed (RFC 3339).
        public var lastTransitionTime: String?
        /// A human-readable message.
        public var message: String?

        /// Creates a condition.
        public init(type: String? = nil, status: String? = nil, lastTransitionTime: String? = nil, message: String? = nil) {
            self.type = type
            self.status = status
            self.lastTransitionTime = lastTransitionTime
            self.message = message
        }
    }

    /// The state on one cluster.
    public struct ClusterStatus: Codable, Sendable, Hashable {
        /// The cluster name.
        public var name: String?
        /// `Pending`, `Succeeded` or `Failed`.
        public var state: String?
        /// A human-readable message.
        public var message: String?
        /// When the state was last updated (RFC 3339).
        public var lastUpdateTime: String?

        /// Creates a cluster status.
        public init(name: String? = nil, state: String? = nil, message: String? = nil, lastUpdateTime: String? = nil) {
            self.name = name
            self.state = state
            self.message = message
            self.lastUpdateTime = lastUpdateTime
        }
    }

    /// `Pending`, `Succeeded` or `Failed`.
    public var state: String?
    /// The conditions.
    public var conditions: [Condition]?
    /// The state per placement cluster.
    public var clusters: [ClusterStatus]?

    /// Creates a status.
    public init(state: String? = nil, conditions: [Condition]? = nil, clusters: [ClusterStatus]? = nil) {
        self.state = state
        self.conditions = conditions
        self.clusters = clusters
    }
}
