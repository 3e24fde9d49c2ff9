/// One permission `vzauth cluster register` needs on the admin cluster, in the managed-cluster namespace: for the
/// message of a 403 and for documentation.
public struct ClusterRegistrationPermission: Sendable, Hashable, CustomStringConvertible {
    /// The verb, e.g. `patch`.
    public var verb: String
    /// The API group; empty for the core group.
    public var group: String
    /// The resource, with its subresource: `secrets`, `verrazzanomanagedclusters/status`.
    public var resource: String
    /// The object's name.
    public var name: String

    /// Creates a permission.
    public init(verb: String, group: String, resource: String, name: String) {
        self.verb = verb
        self.group = group
        self.resource = resource
        self.name = name
    }

    /// `patch verrazzanomanagedclusters/status (API group clusters.verrazzano.io)`.
    public var description: String {
        "\(self.verb) \(self.resource) (API group \(self.group.isEmpty ? "\"\" (core)" : self.group))"
    }
}
