/// The common `metadata` of Kubernetes objects (the fields this client's users need).
///
/// Fields not listed here (such as `managedFields`) are dropped when an object is decoded into a type using
/// this struct; send changes with merge patches to leave them alone.
public struct KubeObjectMeta: Codable, Sendable, Hashable {
    /// A reference to an owning object (for garbage collection).
    public struct OwnerReference: Codable, Sendable, Hashable {
        /// The owner's `apiVersion`.
        public var apiVersion: String
        /// The owner's kind.
        public var kind: String
        /// The owner's name.
        public var name: String
        /// The owner's UID.
        public var uid: String
        /// Whether the owner is the managing controller.
        public var controller: Bool?
        /// Whether the owner cannot be deleted before this object.
        public var blockOwnerDeletion: Bool?

        /// Creates a reference.
        public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil, blockOwnerDeletion: Bool? = nil) {
            self.apiVersion = apiVersion
            self.kind = kind
            self.name = name
            self.uid = uid
            self.controller = controller
            self.blockOwnerDeletion = blockOwnerDeletion
        }
    }

    /// The name.
    public var name: String?
    /// A prefix from which the server generates a name.
    public var generateName: String?
    /// The namespace (namespaced objects only).
    public var namespace: String?
    /// The server-assigned UID.
    public var uid: String?
    /// The version for optimistic concurrency and watches.
    public var resourceVersion: String?
    /// The generation of the desired state.
    public var generation: Int?
    /// When the object was created (RFC 3339).
    public var creationTimestamp: String?
    /// When deletion was requested (RFC 3339), if it was.
    public var deletionTimestamp: String?
    /// Labels.
    public var labels: [String: String]?
    /// Annotations.
    public var annotations: [String: String]?
    /// Owners.
    public var ownerReferences: [OwnerReference]?
    /// Finalizers.
    public var finalizers: [String]?

    /// Creates metadata.
    public init(
        name: String? = nil,
        namespace: String? = nil,
        labels: [String: String]? = nil,
        annotations: [String: String]? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
    }
}

/// A list response (`ConfigMapList`, ...): the items and the list's `resourceVersion` to watch from.
public struct KubeList<Item: Decodable & Sendable>: Decodable, Sendable {
    /// The list metadata.
    public struct Metadata: Codable, Sendable, Hashable {
        /// The version of the collection; watch from here to see every later change.
        public var resourceVersion: String?
        /// The token for the next page, if the list was limited.
        public var `continue`: String?
        /// How many items remain after this page, when known.
        public var remainingItemCount: Int?
    }

    /// E.g. `v1`.
    public var apiVersion: String?
    /// E.g. `ConfigMapList`.
    public var kind: String?
    /// The list metadata.
    public var metadata: Metadata
    /// The objects.
    public var items: [Item]

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, items
    }

    /// Decodes a list; `items: null` is an empty list.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion)
        self.kind = try container.decodeIfPresent(String.self, forKey: .kind)
        self.metadata = try container.decodeIfPresent(Metadata.self, forKey: .metadata) ?? Metadata()
        self.items = try container.decodeIfPresent([Item].self, forKey: .items) ?? []
    }
}
