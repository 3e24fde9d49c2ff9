/// The user a request acts for, as the proxy impersonates them: name, UID and groups (including
/// `system:authenticated` when the proxy adds it).
public struct AccessSubject: Sendable, Hashable {
    /// The user name (`Impersonate-User`).
    public var user: String
    /// The UID (`Impersonate-Uid`), if the proxy sends one.
    public var uid: String?
    /// The groups, sorted and without duplicates (their order does not matter to authorization).
    public let groups: [String]

    /// Creates a subject; `groups` are sorted and duplicates removed, so that equal subjects share a cache entry.
    public init(user: String, uid: String? = nil, groups: some Sequence<String>) {
        self.user = user
        self.uid = uid
        self.groups = Set(groups).sorted()
    }
}
