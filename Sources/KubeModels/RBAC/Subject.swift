/// An RBAC subject: who a role binding grants its role to (`rbac.authorization.k8s.io/v1` `Subject`).
///
/// Read from `Verrazzano` and `VerrazzanoProject` resources as given (a missing `kind` or `name` decodes as an
/// empty string so validation can point at it) and written into bindings in ``normalized`` form.
///
/// ```swift
/// let subjects: [Subject] = [.group("platform-admins"), .user("5b1b8b5c-…"), .serviceAccount("ci", namespace: "tools")]
/// ```
public struct Subject: Codable, Sendable, Hashable {
    /// `rbac.authorization.k8s.io`, the API group of `User` and `Group` subjects.
    public static let rbacAPIGroup = "rbac.authorization.k8s.io"

    /// `User`, `Group` or `ServiceAccount`.
    public var kind: String
    /// The user's unique id (Keycloak: the token's `sub`, not the user name), the group's or the service account's name.
    public var name: String
    /// The service account's namespace; empty for users and groups.
    public var namespace: String?
    /// `rbac.authorization.k8s.io` (or empty) for users and groups; empty for service accounts.
    public var apiGroup: String?

    /// Creates a subject as given (see ``normalized``).
    public init(kind: String, name: String, namespace: String? = nil, apiGroup: String? = nil) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.apiGroup = apiGroup
    }

    /// A user, by its unique id.
    public static func user(_ id: String) -> Subject {
        Subject(kind: "User", name: id, apiGroup: rbacAPIGroup)
    }

    /// A group.
    public static func group(_ name: String) -> Subject {
        Subject(kind: "Group", name: name, apiGroup: rbacAPIGroup)
    }

    /// A service account in `namespace`.
    public static func serviceAccount(_ name: String, namespace: String) -> Subject {
        Subject(kind: "ServiceAccount", name: name, namespace: namespace)
    }

    /// The subject as the API server stores it: `User` and `Group` with `apiGroup: rbac.authorization.k8s.io`,
    /// `ServiceAccount` without `apiGroup`; empty optional fields left out.
    ///
    /// Bindings carry normalized subjects, so the desired state compares equal to what the server returns.
    public var normalized: Subject {
        var subject = self
        if subject.namespace?.isEmpty ?? false { subject.namespace = nil }
        switch subject.kind {
        case "User", "Group": subject.apiGroup = Self.rbacAPIGroup
        case "ServiceAccount": subject.apiGroup = nil
        default: if subject.apiGroup?.isEmpty ?? false { subject.apiGroup = nil }
        }
        return subject
    }

    enum CodingKeys: String, CodingKey {
        case kind, apiGroup, name, namespace
    }

    /// Decodes a subject; a missing `kind` or `name` becomes an empty string (reported by validation).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.kind = try container.decodeIfPresent(String.self, forKey: .kind) ?? ""
        self.name = try container.decodeIfPresent(String.self, forKey: .name) ?? ""
        self.namespace = try container.decodeIfPresent(String.self, forKey: .namespace)
        self.apiGroup = try container.decodeIfPresent(String.self, forKey: .apiGroup)
    }
}
