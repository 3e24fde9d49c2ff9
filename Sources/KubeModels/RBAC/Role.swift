/// A role in one namespace (`rbac.authorization.k8s.io/v1` `Role`): rules that a RoleBinding in the same namespace
/// grants there.
public struct Role: Codable, Sendable, Hashable {
    /// `roles.rbac.authorization.k8s.io`.
    public static let resource = KubeResource.roles

    /// `rbac.authorization.k8s.io/v1`.
    public var apiVersion: String
    /// `Role`.
    public var kind: String
    /// Name, namespace and labels.
    public var metadata: KubeObjectMeta
    /// The rules.
    public var rules: [PolicyRule]

    /// Creates a Role.
    public init(metadata: KubeObjectMeta, rules: [PolicyRule]) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = "Role"
        self.metadata = metadata
        self.rules = rules
    }

    /// The name (empty if unset).
    public var name: String { self.metadata.name ?? "" }

    /// The namespace (empty if unset).
    public var namespace: String { self.metadata.namespace ?? "" }

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, rules
    }

    /// Decodes a Role; missing `rules` is an empty list, a missing `apiVersion` or `kind` (as in the items of
    /// kube-apiserver's lists) is this type's.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion) ?? Self.resource.apiVersion
        self.kind = try container.decodeIfPresent(String.self, forKey: .kind) ?? "Role"
        self.metadata = try container.decode(KubeObjectMeta.self, forKey: .metadata)
        self.rules = try container.decodeIfPresent([PolicyRule].self, forKey: .rules) ?? []
    }
}
