import Foundation
import KubeModels

/// The escalation check of one write of an RBAC object: given the type, namespace, stored and desired object,
/// throws kube-apiserver's refusal.
typealias KubeEmulatorRBACWriteCheck = @Sendable (KubeAPIEmulator.ResourceType, String?, KubeEmulatorJSON?, KubeEmulatorJSON) throws -> Void

extension KubeAPIEmulator {
    /// The escalation check kube-apiserver's RBAC storage makes for `user` writing Roles, ClusterRoles, RoleBindings
    /// and ClusterRoleBindings, against `policy` (the policy before the write):
    ///
    /// - `system:masters` may write anything.
    /// - A Role or ClusterRole: allowed with `escalate` on it, or when the user holds every rule it grants (in its
    ///   namespace); an `aggregationRule` needs every permission (`*` on `*`). An update that changes neither rules
    ///   nor aggregation rule is not checked.
    /// - A binding: allowed with `bind` on the role it refers to (by name), or when the user holds every rule of
    ///   that role in the binding's namespace. An update that keeps the role reference and subjects is not checked.
    ///
    /// Refusals are 403 with `... is attempting to grant RBAC permissions not currently held:` and the missing
    /// rules, one per line, as kube-apiserver words them.
    static func escalationCheck(user: KubeUser, policy: RBACPolicy) -> KubeEmulatorRBACWriteCheck {
        { type, namespace, existing, object in
            guard type.group == rbacGroup, !user.groups.contains(KubeUser.privilegedGroup) else { return }
            let name = object.metadataString("name") ?? ""
            let decoder = JSONDecoder()
            switch type.resource {
            case "roles", "clusterroles":
                if let existing, existing["rules"] == object["rules"], existing["aggregationRule"] == object["aggregationRule"] {
                    return
                }
                let escalate = AccessAttributes.resource(user, "escalate", group: rbacGroup, type.resource, namespace: namespace,
                                                         name: existing == nil ? nil : name)
                if policy.authorize(escalate).allowed { return }
                let rules = (try? decoder.decode([PolicyRule].self, from: (object["rules"] ?? []).data)) ?? []
                try confirmNoEscalation(rules, user: user, namespace: namespace, policy: policy, type: type, name: name)
                if let aggregation = object["aggregationRule"], aggregation != .null {
                    let everything = [PolicyRule(apiGroups: ["*"], resources: ["*"], verbs: ["*"]),
                                      PolicyRule(verbs: ["*"], nonResourceURLs: ["*"])]
                    if !policy.uncovered(everything, for: user, namespace: namespace).isEmpty {
                        throw KubeEmulatorFailure(response: forbiddenWrite(
                            type, name: name, message: "must have cluster-admin privileges to use the aggregationRule"))
                    }
                }
            case "rolebindings", "clusterrolebindings":
                if let existing, existing["roleRef"] == object["roleRef"], existing["subjects"] == object["subjects"] { return }
                guard let reference = try? decoder.decode(RoleRef.self, from: (object["roleRef"] ?? [:]).data) else { return }
                let bind = AccessAttributes.resource(user, "bind", group: rbacGroup,
                                                     reference.kind == "Role" ? "roles" : "clusterroles",
                                                     namespace: namespace, name: reference.name)
                if policy.authorize(bind).allowed { return }
                guard let rules = policy.rules(of: reference, namespace: namespace) else {
                    // kube-apiserver words a missing role as a missing object of the binding's own type.
                    throw KubeEmulatorFailure(response: .status(
                        404, reason: "NotFound", message: "\(type.resource).\(rbacGroup) \"\(reference.name)\" not found",
                        details: ["name": .string(reference.name), "group": .string(rbacGroup), "kind": .string(type.resource)]))
                }
                try confirmNoEscalation(rules, user: user, namespace: namespace, policy: policy, type: type, name: name)
            default:
                return
            }
        }
    }

    /// Throws the refusal unless `user` holds every one of `rules` in `namespace`.
    private static func confirmNoEscalation(
        _ rules: [PolicyRule], user: KubeUser, namespace: String?, policy: RBACPolicy, type: ResourceType, name: String
    ) throws {
        let missing = policy.uncovered(rules, for: user, namespace: namespace)
        guard !missing.isEmpty else { return }
        let groups = user.groups.map(goQuoted).joined(separator: " ")
        let lines = Set(compact(missing).map(compactString)).sorted()
        let message = "user \(goQuoted(user.name)) (groups=[\(groups)]) is attempting to grant RBAC permissions not currently held:\n"
            + lines.joined(separator: "\n")
        throw KubeEmulatorFailure(response: forbiddenWrite(type, name: name, message: message))
    }

    /// `NAME.rbac.authorization.k8s.io "x" is forbidden: MESSAGE`.
    private static func forbiddenWrite(_ type: ResourceType, name: String, message: String) -> KubeEmulatorResponse {
        .status(403, reason: "Forbidden", message: "\(type.resource).\(type.group) \(goQuoted(name)) is forbidden: \(message)",
                details: ["name": .string(name), "group": .string(type.group), "kind": .string(type.resource)])
    }

    /// Kubernetes' `CompactRules`: rules of one group and one resource without names merge their verbs.
    private static func compact(_ rules: [PolicyRule]) -> [PolicyRule] {
        var result: [PolicyRule] = []
        var simple: [String: Int] = [:]
        for rule in rules {
            let groups = rule.apiGroups ?? []
            let resources = rule.resources ?? []
            guard groups.count == 1, resources.count == 1, (rule.resourceNames ?? []).isEmpty,
                  (rule.nonResourceURLs ?? []).isEmpty else {
                result.append(rule)
                continue
            }
            let key = groups[0] + "\u{0}" + resources[0]
            if let index = simple[key] {
                result[index].verbs += rule.verbs
            } else {
                simple[key] = result.count
                result.append(rule)
            }
        }
        return result
    }

    /// Kubernetes' `CompactString`: `{APIGroups:["apps"], Resources:["deployments"], Verbs:["get" "list"]}`.
    private static func compactString(_ rule: PolicyRule) -> String {
        var parts: [String] = []
        func add(_ label: String, _ values: [String]?) {
            guard let values, !values.isEmpty else { return }
            parts.append("\(label):[\(values.map(goQuoted).joined(separator: " "))]")
        }
        add("APIGroups", rule.apiGroups)
        add("Resources", rule.resources)
        add("NonResourceURLs", rule.nonResourceURLs)
        add("ResourceNames", rule.resourceNames)
        add("Verbs", rule.verbs)
        return "{" + parts.joined(separator: ", ") + "}"
    }
}
