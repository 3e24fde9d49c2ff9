/// How an aggregated ClusterRole is filled: the API server's aggregation controller sets its `rules` to the union
/// of the rules of every ClusterRole matched by one of the selectors (see ``ClusterRole/effectiveRules(among:)``).
public struct AggregationRule: Codable, Sendable, Hashable {
    /// The selectors; a ClusterRole matching any of them contributes its rules.
    public var clusterRoleSelectors: [LabelSelector]?

    /// Creates an aggregation rule.
    public init(clusterRoleSelectors: [LabelSelector]) {
        self.clusterRoleSelectors = clusterRoleSelectors
    }
}
