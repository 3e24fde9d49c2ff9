import Foundation
public import KubeClient
public import VerrazzanoRBAC

/// What the controller keeps of each object it watches (``KubeClient/KubeInformer``): inputs people write
/// (projects, `Verrazzano` resources) are kept as ``JSONValue`` so that an object the typed models cannot read is
/// reported as a problem of that object instead of breaking the watch; the objects the controller manages, which
/// the API server validates, are kept typed and trimmed of what the planner never reads (`managedFields`,
/// annotations of managed objects, namespace specs): the informers hold every namespace and every binding of the
/// cluster, so this is most of the controller's memory.
extension JSONValue: KubeInformedObject {
    public var informedMetadata: KubeObjectMeta? {
        guard let name = self["metadata"]?["name"]?.stringValue else { return nil }
        var metadata = KubeObjectMeta(name: name, namespace: self["metadata"]?["namespace"]?.stringValue)
        metadata.resourceVersion = self["metadata"]?["resourceVersion"]?.stringValue
        return metadata
    }

    /// Without `metadata.managedFields`.
    public func trimmedForCache() -> JSONValue {
        guard self["metadata"]?["managedFields"] != nil else { return self }
        var trimmed = self
        trimmed["metadata"]?["managedFields"] = nil
        return trimmed
    }
}

extension RoleBinding: KubeInformedObject {
    public var informedMetadata: KubeObjectMeta? { self.metadata }
    public func trimmedForCache() -> RoleBinding { var trimmed = self; trimmed.metadata.annotations = nil; return trimmed }
}

extension ClusterRoleBinding: KubeInformedObject {
    public var informedMetadata: KubeObjectMeta? { self.metadata }
    public func trimmedForCache() -> ClusterRoleBinding { var trimmed = self; trimmed.metadata.annotations = nil; return trimmed }
}

extension ClusterRole: KubeInformedObject {
    public var informedMetadata: KubeObjectMeta? { self.metadata }
    public func trimmedForCache() -> ClusterRole { var trimmed = self; trimmed.metadata.annotations = nil; return trimmed }
}

extension Namespace: KubeInformedObject {
    public var informedMetadata: KubeObjectMeta? { self.metadata }
    /// Metadata only, without annotations: the planner reads a namespace's labels and deletion state.
    public func trimmedForCache() -> Namespace {
        var trimmed = self
        trimmed.metadata.annotations = nil
        trimmed.spec = nil
        return trimmed
    }
}

extension JSONValue {
    /// Decodes this value into a typed model.
    func decoded<T: Decodable>(as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(self))
    }
}
