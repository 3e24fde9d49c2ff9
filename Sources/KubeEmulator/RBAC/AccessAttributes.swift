/// What a request asks to do, as Kubernetes authorization sees it (`authorizer.Attributes`): a verb on a resource
/// (possibly a subresource, possibly one object by name, in a namespace or at the cluster scope) or on a
/// non-resource path such as `/version`.
public struct AccessAttributes: Sendable, Hashable {
    /// What the verb applies to.
    public enum Target: Sendable, Hashable {
        /// A resource of an API group (`""` for the core group).
        case resource(apiGroup: String, resource: String, subresource: String?, namespace: String?, name: String?)
        /// A path outside the resource APIs (`/version`, `/healthz`, `/api`).
        case nonResource(path: String)
    }

    /// Who asks.
    public var user: KubeUser
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, `impersonate`, `bind`,
    /// `escalate`, ...
    public var verb: String
    /// On what.
    public var target: Target

    /// Creates attributes.
    public init(user: KubeUser, verb: String, target: Target) {
        self.user = user
        self.verb = verb
        self.target = target
    }

    /// A resource request.
    public static func resource(_ user: KubeUser, _ verb: String, group: String = "", _ resource: String,
                                subresource: String? = nil, namespace: String? = nil, name: String? = nil) -> AccessAttributes {
        AccessAttributes(user: user, verb: verb, target: .resource(
            apiGroup: group, resource: resource, subresource: subresource.flatMap { $0.isEmpty ? nil : $0 },
            namespace: namespace.flatMap { $0.isEmpty ? nil : $0 }, name: name.flatMap { $0.isEmpty ? nil : $0 }))
    }

    /// A non-resource request.
    public static func nonResource(_ user: KubeUser, _ verb: String, path: String) -> AccessAttributes {
        AccessAttributes(user: user, verb: verb, target: .nonResource(path: path))
    }

    /// The namespace the request is in (`nil` at the cluster scope and for non-resource paths).
    public var namespace: String? {
        if case .resource(_, _, _, let namespace, _) = self.target { return namespace }
        return nil
    }
}
