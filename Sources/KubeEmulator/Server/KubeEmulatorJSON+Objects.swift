/// What the API server double's write rules need to know about an object.
extension KubeEmulatorJSON {
    var arrayValue: [KubeEmulatorJSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// `metadata.finalizers` (empty when absent).
    var finalizers: [String] {
        (self["metadata"]?["finalizers"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    /// Whether `metadata.deletionTimestamp` is set.
    var isBeingDeleted: Bool {
        guard let value = self.metadataString("deletionTimestamp") else { return false }
        return !value.isEmpty
    }

    /// The object without `metadata.resourceVersion` and `metadata.managedFields`: two writes that compare equal
    /// this way leave the object unchanged, as the API server decides no-op writes.
    var withoutVersionFields: KubeEmulatorJSON {
        var copy = self
        copy.setMetadata("resourceVersion", nil)
        copy.setMetadata("managedFields", nil)
        return copy
    }

    /// A server-side apply configuration merged into `self` (a simplification of field ownership):
    /// objects merge key by key, recursively; lists and scalars in `configuration` replace the stored ones;
    /// keys absent from `configuration` are kept; an explicit `null` removes the key.
    func applied(_ configuration: KubeEmulatorJSON) -> KubeEmulatorJSON {
        guard case .object(let configured) = configuration, case .object(var result) = self else {
            return configuration
        }
        for (key, value) in configured {
            if case .null = value {
                result.removeValue(forKey: key)
            } else if let stored = result[key] {
                result[key] = stored.applied(value)
            } else {
                result[key] = value
            }
        }
        return .object(result)
    }
}
