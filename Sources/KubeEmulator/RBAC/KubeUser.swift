/// Who a request is from, as the API server's authorizers see it: after authentication and impersonation.
public struct KubeUser: Sendable, Hashable {
    /// `system:masters`: the group the API server lets do everything.
    public static let privilegedGroup = "system:masters"
    /// `system:authenticated`: every authenticated user is in it.
    public static let authenticatedGroup = "system:authenticated"
    /// `system:unauthenticated`: the group of `system:anonymous`.
    public static let unauthenticatedGroup = "system:unauthenticated"

    /// The user name (Keycloak through the proxy: the token's `sub`).
    public var name: String
    /// The groups, `system:authenticated` included for an authenticated user.
    public var groups: [String]
    /// The uid, if any.
    public var uid: String?
    /// Extra attributes (`Impersonate-Extra-*`), by lower-case key.
    public var extra: [String: [String]]

    /// Creates a user.
    public init(name: String, groups: [String] = [], uid: String? = nil, extra: [String: [String]] = [:]) {
        self.name = name
        self.groups = groups
        self.uid = uid
        self.extra = extra
    }
}
