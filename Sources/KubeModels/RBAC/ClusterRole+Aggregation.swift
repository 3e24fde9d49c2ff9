extension ClusterRole {
    /// The rules this role has once the API server's aggregation controller has filled it in, given the
    /// ClusterRoles `roles` that exist.
    ///
    /// A role without an ``aggregationRule`` has its own ``rules``. An aggregated role has, as the controller
    /// computes it: for each selector in order, the rules of every other role it matches (by name), each rule
    /// added once. Aggregated roles matched in turn contribute their own effective rules (the state the
    /// controller converges to); cycles contribute nothing further.
    public func effectiveRules(among roles: [ClusterRole]) -> [PolicyRule] {
        var visiting: Set<String> = []
        return self.effectiveRules(among: roles.sorted { $0.name < $1.name }, visiting: &visiting)
    }

    private func effectiveRules(among sortedRoles: [ClusterRole], visiting: inout Set<String>) -> [PolicyRule] {
        guard let aggregation = self.aggregationRule else { return self.rules ?? [] }
        guard visiting.insert(self.name).inserted else { return self.rules ?? [] }
        defer { visiting.remove(self.name) }
        var result: [PolicyRule] = []
        for selector in aggregation.clusterRoleSelectors ?? [] {
            for role in sortedRoles where role.name != self.name && selector.matches(role.metadata.labels ?? [:]) {
                for rule in role.effectiveRules(among: sortedRoles, visiting: &visiting) where !result.contains(rule) {
                    result.append(rule)
                }
            }
        }
        return result
    }
}
