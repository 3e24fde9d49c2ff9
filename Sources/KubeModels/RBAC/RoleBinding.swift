/// A grant of a role in one namespace (`rbac.authorization.k8s.io/v1` `RoleBinding`).
public struct RoleBinding: Codable, Sendable, Hashable {
    /// `rolebindings.rbac.authorization.k8s.io`.
    public static let resource = KubeResource.roleBindings

    /// `rbac.authorization.k8s.io/v1`.
    public var apiVersion: String
    /// `RoleBinding`.
    public var kind: String
    /// Name, namespace and labels.
    public var metadata: KubeObjectMeta
    /// The granted role.
    public var roleRef: RoleRef
    /// Who is granted the role.
    public var subjects: [Subject]

    /// Creates a binding.
    public init(metadata: KubeObjectMeta, roleRef: RoleRef, subjects: [Subject]) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = "RoleBinding"
        self.metadata = metadata
        self.roleRef = roleRef
        self.subjects = subjects
    }

    /// The name (empty if unset).
    public var name: String { self.metadata.name ?? "" }
    /// The namespace (empty if unset).
    public var namespace: String { self.metadata.namespace ?? "" }

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, roleRef, subjects
    }

    /// Decodes a binding; missing `subjects` is an empty list, a missing `apiVersion` or `kind` (as in the items of
    /// kube-apiserver's lists) is this type's.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion) ?? Self.resource.apiVersion
        self.kind = try container.decodeIfPresent(String.self, forKey: .kind) ?? "RoleBinding"
        self.metadata = try container.decode(KubeObjectMeta.self, forKey: .metadata)
        self.roleRef = try container.decode(RoleRef.self, forKey: .roleRef)
        self.subjects = try container.decodeIfPresent([Subject].self, forKey: .subjects) ?? []
    }
}
