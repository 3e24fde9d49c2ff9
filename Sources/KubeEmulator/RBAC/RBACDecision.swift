/// An RBAC authorization decision, with Kubernetes' reason text (what a `SubjectAccessReview` reports).
public struct RBACDecision: Sendable, Hashable {
    /// Whether the request is allowed.
    public var allowed: Bool
    /// Why, for an allowed request: `RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to Group "z"`;
    /// empty for a denied one (RBAC has no opinion, and no other authorizer says yes).
    public var reason: String

    /// Creates a decision.
    public init(allowed: Bool, reason: String) {
        self.allowed = allowed
        self.reason = reason
    }
}
