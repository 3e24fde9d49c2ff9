/// One rule of a role: the verbs allowed on resources of API groups (`rbac.authorization.k8s.io/v1` `PolicyRule`).
public struct PolicyRule: Codable, Sendable, Hashable {
    /// The verbs, e.g. `get`, `list`, `watch`; `*` for all.
    public var verbs: [String]
    /// The API groups; `""` is the core group, `*` all groups.
    public var apiGroups: [String]?
    /// The resources, e.g. `domains`, `domains/status`; `*` for all, `*/status` for every status subresource.
    public var resources: [String]?
    /// Restricts the rule to objects of these names.
    public var resourceNames: [String]?
    /// Non-resource paths such as `/healthz` (cluster roles only).
    public var nonResourceURLs: [String]?

    /// Creates a rule.
    public init(
        apiGroups: [String]? = nil,
        resources: [String]? = nil,
        verbs: [String],
        resourceNames: [String]? = nil,
        nonResourceURLs: [String]? = nil
    ) {
        self.verbs = verbs
        self.apiGroups = apiGroups
        self.resources = resources
        self.resourceNames = resourceNames
        self.nonResourceURLs = nonResourceURLs
    }

    enum CodingKeys: String, CodingKey {
        case verbs, apiGroups, resources, resourceNames, nonResourceURLs
    }

    /// Decodes a rule; missing `verbs` is an empty list.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.verbs = try container.decodeIfPresent([String].self, forKey: .verbs) ?? []
        self.apiGroups = try container.decodeIfPresent([String].self, forKey: .apiGroups)
        self.resources = try container.decodeIfPresent([String].self, forKey: .resources)
        self.resourceNames = try container.decodeIfPresent([String].self, forKey: .resourceNames)
        self.nonResourceURLs = try container.decodeIfPresent([String].self, forKey: .nonResourceURLs)
    }
}
