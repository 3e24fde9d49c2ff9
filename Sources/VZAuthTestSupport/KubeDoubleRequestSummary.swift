/// A resource request as fault injection sees it (see ``KubeAPIServerDouble/injectFailures(count:status:reason:message:matching:)``).
public struct KubeDoubleRequestSummary: Sendable, Hashable {
    /// The HTTP method, e.g. `PATCH`.
    public var method: String
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete` (or `deletecollection`).
    public var verb: String
    /// The API group; empty for the core group.
    public var group: String
    /// The plural resource, e.g. `configmaps`.
    public var resource: String
    /// The subresource, e.g. `status`.
    public var subresource: String?
    /// The namespace of a namespaced request.
    public var namespace: String?
    /// The object name, `nil` for collection requests.
    public var name: String?

    /// Describes a request.
    public init(
        method: String,
        verb: String,
        group: String,
        resource: String,
        subresource: String? = nil,
        namespace: String? = nil,
        name: String? = nil
    ) {
        self.method = method
        self.verb = verb
        self.group = group
        self.resource = resource
        self.subresource = subresource
        self.namespace = namespace
        self.name = name
    }
}

/// One ``KubeAPIServerDouble/injectFailures(count:status:reason:message:matching:)`` rule and how many
/// failures it still owes.
struct KubeDoubleInjectedFailure: Sendable {
    var id: Int
    var remaining: Int
    var status: Int
    var reason: String
    var message: String
    var matching: @Sendable (KubeDoubleRequestSummary) -> Bool
}
