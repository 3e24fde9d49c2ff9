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

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, aggregationRule, rules
    }

    /// Decodes a ClusterRole; a missing `apiVersion` or `kind` (as in the items of kube-apiserver's lists) is this
    /// type's.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion) ?? Self.resource.apiVersion
        self.kind = try container.decodeIfPresent(String.self, forKey: .kind) ?? "ClusterRole"
        self.metadata = try container.decode(KubeObjectMeta.self, forKey: .metadata)
        self.aggregationRule = try container.decodeIfPresent(AggregationRule.self, forKey: .aggregationRule)
        self.rules = try container.decodeIfPresent([PolicyRule].self, forKey: .rules)
    }
}
