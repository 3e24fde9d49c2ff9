/// An object a ``KubeInformer`` can keep: it has metadata (its key and version), and may leave out what its
/// readers never need, since an informer holds every object of its kind.
public protocol KubeInformedObject: Decodable, Sendable {
    /// The object's metadata (name, namespace, version); `nil` for an object without any.
    var informedMetadata: KubeObjectMeta? { get }
    /// The object without what its readers never read (by default, the object itself).
    func trimmedForCache() -> Self
}

extension KubeInformedObject {
    /// The object itself.
    public func trimmedForCache() -> Self { self }

    /// `namespace/name` (namespace empty for cluster-scoped objects); `nil` without a name.
    public var cacheKey: ObjectKey? {
        guard let name = self.informedMetadata?.name else { return nil }
        return ObjectKey(namespace: self.informedMetadata?.namespace ?? "", name: name)
    }
}
