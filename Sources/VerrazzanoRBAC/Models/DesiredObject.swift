public import KubeModels

/// One object of the desired state: a ClusterRole, ClusterRoleBinding, Namespace or RoleBinding.
///
/// Encodes as the object itself; decodes by its `kind`.
public enum DesiredObject: Codable, Sendable, Hashable {
    /// A ClusterRole.
    case clusterRole(ClusterRole)
    /// A ClusterRoleBinding.
    case clusterRoleBinding(ClusterRoleBinding)
    /// A Namespace.
    case namespace(Namespace)
    /// A RoleBinding.
    case roleBinding(RoleBinding)

    /// The kinds this type decodes, in apply order.
    public static let kinds = ["ClusterRole", "ClusterRoleBinding", "Namespace", "RoleBinding"]

    /// The object's `kind`.
    public var kind: String {
        switch self {
        case .clusterRole: "ClusterRole"
        case .clusterRoleBinding: "ClusterRoleBinding"
        case .namespace: "Namespace"
        case .roleBinding: "RoleBinding"
        }
    }

    /// The object's `apiVersion`.
    public var apiVersion: String { self.resource.apiVersion }

    /// Where the object is served.
    public var resource: KubeResource {
        switch self {
        case .clusterRole: ClusterRole.resource
        case .clusterRoleBinding: ClusterRoleBinding.resource
        case .namespace: Namespace.resource
        case .roleBinding: RoleBinding.resource
        }
    }

    /// The object's metadata.
    public var metadata: KubeObjectMeta {
        switch self {
        case .clusterRole(let object): object.metadata
        case .clusterRoleBinding(let object): object.metadata
        case .namespace(let object): object.metadata
        case .roleBinding(let object): object.metadata
        }
    }

    /// The name.
    public var name: String { self.metadata.name ?? "" }

    /// The namespace, for RoleBindings.
    public var namespace: String? { self.metadata.namespace }

    enum CodingKeys: String, CodingKey { case kind }

    /// Decodes the object named by `kind`.
    public init(from decoder: any Decoder) throws {
        let kind = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .kind)
        switch kind {
        case "ClusterRole": self = .clusterRole(try ClusterRole(from: decoder))
        case "ClusterRoleBinding": self = .clusterRoleBinding(try ClusterRoleBinding(from: decoder))
        case "Namespace": self = .namespace(try Namespace(from: decoder))
        case "RoleBinding": self = .roleBinding(try RoleBinding(from: decoder))
        default:
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: decoder.codingPath + [CodingKeys.kind],
                debugDescription: "kind \"\(kind)\" is not one of \(Self.kinds.joined(separator: ", "))"))
        }
    }

    /// Encodes the object.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .clusterRole(let object): try object.encode(to: encoder)
        case .clusterRoleBinding(let object): try object.encode(to: encoder)
        case .namespace(let object): try object.encode(to: encoder)
        case .roleBinding(let object): try object.encode(to: encoder)
        }
    }
}
