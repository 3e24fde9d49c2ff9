import Foundation
import KubeModels
import NIOCore
import NIOHTTP1
import Synchronization

extension KubeAPIEmulator {
    /// The store key of each RBAC type: writing one of these invalidates the cached policy.
    static let rbacGroup = "rbac.authorization.k8s.io"

    /// Whether requests are authorized by RBAC (``Authorization/rbac``).
    var usesRBAC: Bool { self.state.withLock { $0.authorization.isRBAC } }

    /// The RBAC policy of the stored objects now: built once after each change of an RBAC object (not per request).
    /// Bootstrap objects missing from the store (deleted, or never seeded) still apply. In RBAC mode the stored
    /// aggregated ClusterRoles then get their aggregated `rules` written, as the aggregation controller writes them.
    public var rbacPolicy: RBACPolicy {
        self.state.withLock { state in
            if let policy = state.rbacPolicy { return policy }
            let policy = Self.makePolicy(state)
            if state.authorization.isRBAC { self.writeAggregatedRules(policy, state: &state) }
            state.rbacPolicy = policy
            return policy
        }
    }

    /// Stores the resolved rules of every stored ClusterRole with an `aggregationRule` whose stored rules differ
    /// (`MODIFIED` events, as from the controller).
    private func writeAggregatedRules(_ policy: RBACPolicy, state: inout KubeEmulatorState) {
        let key = "\(Self.rbacGroup)/clusterroles"
        for (id, object) in state.objects(typeKey: key, namespace: nil) {
            guard let aggregation = object["aggregationRule"], aggregation != .null,
                  let role = policy.clusterRoles[id.name],
                  let rules = try? KubeEmulatorJSON.from(role.rules ?? []), object["rules"] != rules else { continue }
            var updated = object
            updated["rules"] = rules
            _ = state.store(updated, typeKey: key, id: id, eventType: "MODIFIED", historyLimit: self.configuration.watchHistoryLimit)
        }
    }

    private static func makePolicy(_ state: KubeEmulatorState) -> RBACPolicy {
        func decode<Object: Decodable>(_ resource: String, as _: Object.Type) -> [Object] {
            let decoder = JSONDecoder()
            return (state.objects["\(rbacGroup)/\(resource)"] ?? [:]).values.compactMap { try? decoder.decode(Object.self, from: $0.data) }
        }
        let clusterRoles = decode("clusterroles", as: ClusterRole.self)
        let clusterRoleNames = Set(clusterRoles.map(\.name))
        let clusterRoleBindings = decode("clusterrolebindings", as: ClusterRoleBinding.self)
        let bindingNames = Set(clusterRoleBindings.map(\.name))
        return RBACPolicy(
            roles: decode("roles", as: Role.self),
            clusterRoles: BootstrapPolicy.clusterRoles.filter { !clusterRoleNames.contains($0.name) } + clusterRoles,
            roleBindings: decode("rolebindings", as: RoleBinding.self),
            clusterRoleBindings: BootstrapPolicy.clusterRoleBindings.filter { !bindingNames.contains($0.name) } + clusterRoleBindings)
    }

    /// What a request asks for, as kube-apiserver's `RequestInfoFactory` reads the path, method and query: a
    /// resource request under `/api/v1/...` or `/apis/GROUP/VERSION/...`, anything else a non-resource request with
    /// the lower-cased method as verb.
    static func accessAttributes(_ request: KubeEmulatorRequest, user: KubeUser) -> AccessAttributes {
        var parts = request.segments
        let nonResource = AccessAttributes.nonResource(user, request.method.rawValue.lowercased(), path: request.path)
        guard parts.count >= 3, parts[0] == "api" || parts[0] == "apis" else { return nonResource }
        var group = ""
        if parts[0] == "apis" {
            guard parts.count >= 4 else { return nonResource }
            group = parts[1]
            parts.removeFirst(3)
        } else {
            parts.removeFirst(2)
        }
        var verb: String
        switch request.method {
        case .POST: verb = "create"
        case .GET, .HEAD: verb = "get"
        case .PUT: verb = "update"
        case .PATCH: verb = "patch"
        case .DELETE: verb = "delete"
        default: verb = ""
        }
        if parts.first == "watch" {
            verb = "watch"
            parts.removeFirst()
        }
        var namespace: String?
        if parts.first == "namespaces", parts.count > 1 {
            namespace = parts[1]
            if parts.count > 2, !["status", "finalize"].contains(parts[2]) { parts.removeFirst(2) }
        }
        let resource = parts.first ?? ""
        let name = parts.count > 1 ? parts[1] : nil
        let subresource = parts.count > 2 ? parts[2] : nil
        var objectName = name
        if name == nil {
            if verb == "get" { verb = request.queryFlag("watch") ? "watch" : "list" }
            if verb == "delete" { verb = "deletecollection" }
            if verb == "list" || verb == "watch", let selector = request.queryValue("fieldSelector") {
                for term in selector.split(separator: ",") where term.hasPrefix("metadata.name=") {
                    objectName = String(term.dropFirst("metadata.name=".count)).replacingOccurrences(of: "==", with: "")
                }
            }
        }
        return .resource(user, verb, group: group, resource, subresource: subresource, namespace: namespace, name: objectName)
    }

    /// Throws kube-apiserver's 403 unless RBAC allows the request (called before routing, as the API server
    /// authorizes before it knows whether the resource exists).
    func authorizeByRBAC(_ request: KubeEmulatorRequest, user: KubeUser) throws {
        let attributes = Self.accessAttributes(request, user: user)
        let decision = self.rbacPolicy.authorize(attributes)
        guard !decision.allowed else { return }
        throw KubeEmulatorFailure(response: Self.forbidden(attributes, reason: decision.reason))
    }

    /// Authorizes an `exec`, `attach` or `port-forward` upgrade: in RBAC mode with the request's own verb (`get`
    /// for a WebSocket `GET`, as kube-apiserver 1.32 does, `create` for a SPDY `POST`), else `create`.
    func authorizeUpgrade(_ request: KubeEmulatorRequest, user: KubeUser, route: KubeEmulatorResourceRoute) throws {
        if self.usesRBAC {
            try self.authorizeByRBAC(request, user: user)
        } else {
            try self.authorize(user: user, verb: "create", route: route, path: request.path)
        }
    }

    /// kube-apiserver's `Forbidden` Status for denied `attributes` (`responsewriters.Forbidden`): the resource
    /// (`resource.group`) and name first, then who cannot do what where.
    static func forbidden(_ attributes: AccessAttributes, reason: String = "") -> KubeEmulatorResponse {
        var message = Self.forbiddenMessage(attributes)
        if !reason.isEmpty { message += ": " + reason }
        guard case .resource(let group, let resource, _, _, let name) = attributes.target else {
            return .status(403, reason: "Forbidden", message: "forbidden: " + message, details: [:])
        }
        let qualified = group.isEmpty ? resource : "\(resource).\(group)"
        var details: KubeEmulatorJSON = ["kind": .string(resource)]
        if !group.isEmpty { details["group"] = .string(group) }
        if let name { details["name"] = .string(name) }
        let subject = name.map { "\(qualified) \"\($0)\"" } ?? qualified
        return .status(403, reason: "Forbidden", message: "\(subject) is forbidden: \(message)", details: details)
    }

    /// `User "x" cannot VERB resource "r/sub" in API group "g" in the namespace "n"` (or `at the cluster scope`,
    /// or `cannot VERB path "/p"`).
    static func forbiddenMessage(_ attributes: AccessAttributes) -> String {
        let user = attributes.user.name
        switch attributes.target {
        case .nonResource(let path):
            return "User \"\(user)\" cannot \(attributes.verb) path \"\(path)\""
        case .resource(let group, let resource, let subresource, let namespace, _):
            let full = subresource.map { "\(resource)/\($0)" } ?? resource
            let scope = namespace.map { "in the namespace \"\($0)\"" } ?? "at the cluster scope"
            return "User \"\(user)\" cannot \(attributes.verb) resource \"\(full)\" in API group \"\(group)\" \(scope)"
        }
    }

    /// Checks, as kube-apiserver's impersonation filter does, that `authenticated` may `impersonate` each thing the
    /// headers ask for (the user or service account, each group, each extra value, the uid), in that order.
    func checkImpersonation(_ headers: HTTPHeaders, authenticated: KubeUser) throws {
        guard let userName = headers["Impersonate-User"].first else { return }
        var wanted: [AccessAttributes] = []
        if let account = Self.serviceAccount(userName) {
            wanted.append(.resource(authenticated, "impersonate", "serviceaccounts", namespace: account.namespace, name: account.name))
        } else {
            wanted.append(.resource(authenticated, "impersonate", "users", name: userName))
        }
        for group in headers["Impersonate-Group"] {
            wanted.append(.resource(authenticated, "impersonate", "groups", name: group))
        }
        for (key, values) in Self.impersonatedExtra(headers).sorted(by: { $0.key < $1.key }) {
            for value in values {
                wanted.append(.resource(authenticated, "impersonate", group: "authentication.k8s.io", "userextras",
                                        subresource: key, name: value))
            }
        }
        if let uid = headers["Impersonate-Uid"].first {
            wanted.append(.resource(authenticated, "impersonate", group: "authentication.k8s.io", "uids", name: uid))
        }
        let policy = self.rbacPolicy
        for attributes in wanted {
            let decision = policy.authorize(attributes)
            if !decision.allowed { throw KubeEmulatorFailure(response: Self.forbidden(attributes, reason: decision.reason)) }
        }
    }

    /// `(namespace, name)` of `system:serviceaccount:NAMESPACE:NAME`.
    static func serviceAccount(_ userName: String) -> (namespace: String, name: String)? {
        let prefix = "system:serviceaccount:"
        guard userName.hasPrefix(prefix) else { return nil }
        let parts = userName.dropFirst(prefix.count).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    /// The `Impersonate-Extra-KEY` headers by (unescaped, lower-case) key.
    static func impersonatedExtra(_ headers: HTTPHeaders) -> [String: [String]] {
        var extra: [String: [String]] = [:]
        for (name, value) in headers where name.lowercased().hasPrefix("impersonate-extra-") {
            let key = String(name.dropFirst("impersonate-extra-".count)).lowercased()
            extra[key.removingPercentEncoding ?? key, default: []].append(value)
        }
        return extra
    }
}
