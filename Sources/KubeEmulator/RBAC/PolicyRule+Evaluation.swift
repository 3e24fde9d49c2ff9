public import KubeModels

extension PolicyRule {
    /// Whether this rule allows `attributes`, with Kubernetes' matching: `*` matches any verb, group and resource;
    /// a resource is matched as `resource/subresource`, or by `*/subresource`; resource names restrict only when
    /// listed; a non-resource URL matches exactly or by a trailing `*` prefix.
    public func allows(_ attributes: AccessAttributes) -> Bool {
        guard self.verbs.contains(where: { $0 == "*" || $0 == attributes.verb }) else { return false }
        switch attributes.target {
        case .resource(let group, let resource, let subresource, _, let name):
            guard (self.apiGroups ?? []).contains(where: { $0 == "*" || $0 == group }) else { return false }
            let combined = subresource.map { "\(resource)/\($0)" } ?? resource
            let resourceMatches = (self.resources ?? []).contains { rule in
                rule == "*" || rule == combined || (subresource.map { rule == "*/\($0)" } ?? false)
            }
            guard resourceMatches else { return false }
            guard let names = self.resourceNames, !names.isEmpty else { return true }
            return name.map(names.contains) ?? false
        case .nonResource(let path):
            return (self.nonResourceURLs ?? []).contains { Self.url($0, covers: path) }
        }
    }

    /// The rule split into rules of one verb, one group, one resource and at most one name (or one verb and one
    /// non-resource URL), as Kubernetes' escalation check compares them.
    public var breakdown: [PolicyRule] {
        var rules: [PolicyRule] = []
        for group in self.apiGroups ?? [] {
            for resource in self.resources ?? [] {
                for verb in self.verbs {
                    if let names = self.resourceNames, !names.isEmpty {
                        rules += names.map { PolicyRule(apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [$0]) }
                    } else {
                        rules.append(PolicyRule(apiGroups: [group], resources: [resource], verbs: [verb]))
                    }
                }
            }
        }
        for url in self.nonResourceURLs ?? [] {
            rules += self.verbs.map { PolicyRule(verbs: [$0], nonResourceURLs: [url]) }
        }
        return rules
    }

    /// Whether this rule grants everything `other` grants (Kubernetes' `ruleCovers`): `*` in verbs or groups covers
    /// anything, `*` or `*/sub` in resources covers those, names restrict, URLs cover by prefix with a trailing `*`.
    public func covers(_ other: PolicyRule) -> Bool {
        let verbs = self.verbs.contains("*") || Set(self.verbs).isSuperset(of: other.verbs)
        let ownGroups = self.apiGroups ?? []
        let groups = ownGroups.contains("*") || Set(ownGroups).isSuperset(of: other.apiGroups ?? [])
        let ownResources = self.resources ?? []
        let resources = ownResources.contains("*") || (other.resources ?? []).allSatisfy { resource in
            if ownResources.contains(resource) { return true }
            guard let slash = resource.firstIndex(of: "/") else { return false }
            return ownResources.contains("*" + resource[slash...])
        }
        let ownURLs = self.nonResourceURLs ?? []
        let urls = (other.nonResourceURLs ?? []).allSatisfy { path in ownURLs.contains { Self.url($0, covers: path) } }
        let ownNames = self.resourceNames ?? []
        let otherNames = other.resourceNames ?? []
        let names = otherNames.isEmpty ? ownNames.isEmpty : (ownNames.isEmpty || Set(ownNames).isSuperset(of: otherNames))
        return verbs && groups && resources && urls && names
    }

    /// Whether the rule's URL `pattern` matches `path`: `*`, the path itself, or what its part before trailing `*`s
    /// begins.
    private static func url(_ pattern: String, covers path: String) -> Bool {
        if pattern == "*" || pattern == path { return true }
        guard pattern.hasSuffix("*") else { return false }
        var prefix = Substring(pattern)
        while prefix.hasSuffix("*") { prefix = prefix.dropLast() }
        return path.hasPrefix(prefix)
    }
}
