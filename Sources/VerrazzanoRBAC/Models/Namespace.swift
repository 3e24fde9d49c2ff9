public import KubeModels

/// A namespace (core `v1` `Namespace`).
public struct Namespace: Codable, Sendable, Hashable {
    /// `namespaces` (core group).
    public static let resource = KubeResource.namespaces

    /// `v1`.
    public var apiVersion: String
    /// `Namespace`.
    public var kind: String
    /// Name, labels and annotations.
    public var metadata: KubeObjectMeta
    /// The spec (`finalizers`), as given in the project template.
    public var spec: JSONValue?

    /// Creates a namespace.
    public init(metadata: KubeObjectMeta, spec: JSONValue? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = "Namespace"
        self.metadata = metadata
        self.spec = spec
    }

    /// The name (empty if unset).
    public var name: String { self.metadata.name ?? "" }

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, spec
    }

    /// Decodes a namespace; a missing `apiVersion` or `kind` (as in the items of kube-apiserver's lists) is this
    /// type's.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion) ?? Self.resource.apiVersion
        self.kind = try container.decodeIfPresent(String.self, forKey: .kind) ?? "Namespace"
        self.metadata = try container.decode(KubeObjectMeta.self, forKey: .metadata)
        self.spec = try container.decodeIfPresent(JSONValue.self, forKey: .spec)
    }
}
