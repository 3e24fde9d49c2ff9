/// How a verified token's claims become an ``Identity``, and which identities are refused.
///
/// Claim names are matched exactly (case-sensitive). A name containing dots is first looked up as a
/// top-level claim of that exact name; if there is none, it is read as a path into nested objects
/// (`realm_access.roles` reaches `{"realm_access": {"roles": [...]}}`).
public struct ClaimMapping: Sendable, Hashable {
    /// The claim holding the user name. Default `sub` (Keycloak user ids are unique, user names are not).
    /// Missing, non-string, or a name ``IdentityName`` refuses (empty, control characters, white space at either
    /// end): the token is refused.
    public var usernameClaim: String
    /// The claim holding group names. Default `groups`. Absent: no groups. A string is exactly one group (as
    /// kube-apiserver reads it) unless ``groupsDelimiter`` is set. An array must hold only strings, each a name
    /// ``IdentityName`` accepts, or the token is refused.
    public var groupsClaim: String
    /// For providers that send the groups as one joined string (`"admins,editors"`): the string is split at this
    /// delimiter, spaces around each group are dropped, and empty pieces are ignored. `nil` (the default): a string
    /// is one group. Arrays are never split.
    public var groupsDelimiter: String?
    /// The claim holding role names. Default `realm_access.roles`. Non-string entries are ignored.
    public var rolesClaim: String
    /// A role the token must carry (Verrazzano: `vz_api_access`), compared byte for byte
    /// (``IdentityName/isSame(_:_:)``); missing gives ``OIDCError/missingRole`` (HTTP 403). `nil`: no requirement.
    public var requiredRole: String?
    /// Whether user or group names starting with `system:` (``IdentityName/hasSystemPrefix(_:)``) are accepted.
    /// Default `false`: such names belong to Kubernetes itself (`system:masters`, `system:serviceaccount:...`) and
    /// must not be impersonated.
    public var allowSystemPrefixedNames: Bool

    /// Creates a mapping; every parameter has Verrazzano's default.
    public init(
        usernameClaim: String = "sub",
        groupsClaim: String = "groups",
        rolesClaim: String = "realm_access.roles",
        requiredRole: String? = nil,
        allowSystemPrefixedNames: Bool = false,
        groupsDelimiter: String? = nil
    ) {
        self.usernameClaim = usernameClaim
        self.groupsClaim = groupsClaim
        self.groupsDelimiter = groupsDelimiter.flatMap { $0.isEmpty ? nil : $0 }
        self.rolesClaim = rolesClaim
        self.requiredRole = requiredRole
        self.allowSystemPrefixedNames = allowSystemPrefixedNames
    }
}
