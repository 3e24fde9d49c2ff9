public import KubeClient

/// A cluster-wide role (`rbac.authorization.k8s.io/v1` `ClusterRole`).
///
/// An aggregated role has an ``aggregationRule`` and no ``rules`` of its own: the API server fills them in.
public struct ClusterRole: Codable, Sendable, Hashable {
    /// `clusterroles.rbac.authorization.k8s.io`.
    public static let resource = KubeResource.clusterRoles

    /// `rbac.authorization.k8s.io/v1`.
    public var apiVersion: String
    /// `ClusterRole`.
    public var kind: String
    /// Name and labels.
    public var metadata: KubeObjectMeta
    /// For aggregated roles: which ClusterRoles' rules make up this one.
    public var aggregationRule: AggregationRule?
    /// The rules (left out for aggregated roles).
    public var rules: [PolicyRule]?

    /// Creates a ClusterRole.
    public init(metadata: KubeObjectMeta, aggregationRule: AggregationRule? = nil, rules: [PolicyRule]? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = "ClusterRole"
        self.metadata = metadata
        self.aggregationRule = aggregationRule
        self.rules = rules
    }

    /// The name (empty if unset).
    public var name: String { self.metadata.name ?? "" }
}
