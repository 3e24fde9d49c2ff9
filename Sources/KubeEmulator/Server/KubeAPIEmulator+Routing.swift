import NIOCore
import NIOHTTP1

/// A request for a resource: which type, where, and which subresource.
struct KubeEmulatorResourceRoute {
    var type: KubeAPIEmulator.ResourceType
    var namespace: String?
    var name: String?
    var subresource: String?
}

extension KubeAPIEmulator {
    /// Answers one complete request: authenticate, impersonate, route, authorize, inject a failure if one is
    /// due (see ``injectFailures(count:status:reason:message:matching:)``), act.
    func respond(to request: KubeEmulatorRequest) -> KubeEmulatorResponse {
        do {
            return try self.route(request)
        } catch let failure as KubeEmulatorFailure {
            return failure.response
        } catch {
            return .status(500, reason: "InternalError", message: "\(error)")
        }
    }

    private func route(_ request: KubeEmulatorRequest) throws -> KubeEmulatorResponse {
        let user = try self.effectiveUser(request)
        let segments = request.segments
        let rbac = self.usesRBAC
        if rbac { try self.authorizeByRBAC(request, user: user) }
        if let response = try self.nonResourceResponse(request, user: user) {
            return response
        }
        guard let route = try self.resourceRoute(segments) else {
            return .status(404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        let verb = Self.verb(request, route: route)
        if !rbac { try self.authorize(user: user, verb: verb, route: route, path: request.path) }
        if let failure = self.takeInjectedFailure(Self.accessRequest(user: user, verb: verb, route: route, path: request.path)) {
            return failure
        }
        var request = request
        if rbac, route.type.group == Self.rbacGroup, ["create", "update", "patch"].contains(verb) {
            // Carried by the request to the write (an explicit value: this runs on an event loop, not in a task).
            request.rbacWriteCheck = Self.escalationCheck(user: user, policy: self.rbacPolicy)
        }
        return try self.dispatch(request, route: route, verb: verb, user: user)
    }

    /// The route of a resource path, `nil` if the path is not an API resource path; throws 404 for unknown types.
    func resourceRoute(_ segments: [String]) throws -> KubeEmulatorResourceRoute? {
        let group: String
        let version: String
        let rest: ArraySlice<String>
        if segments.first == "api", segments.count >= 3 {
            (group, version, rest) = ("", segments[1], segments[2...])
        } else if segments.first == "apis", segments.count >= 4 {
            (group, version, rest) = (segments[1], segments[2], segments[3...])
        } else {
            return nil
        }
        let parts = Array(rest)
        if parts.count >= 3, parts[0] == "namespaces",
           let type = self.resourceType(group: group, version: version, resource: parts[2]), type.namespaced {
            guard parts.count <= 5 else { return nil }
            return KubeEmulatorResourceRoute(
                type: type,
                namespace: parts[1],
                name: parts.count > 3 ? parts[3] : nil,
                subresource: parts.count > 4 ? parts[4] : nil
            )
        }
        guard parts.count <= 3, let type = self.resourceType(group: group, version: version, resource: parts[0]) else {
            return nil
        }
        return KubeEmulatorResourceRoute(
            type: type,
            namespace: nil,
            name: parts.count > 1 ? parts[1] : nil,
            subresource: parts.count > 2 ? parts[2] : nil
        )
    }

    func resourceType(group: String, version: String, resource: String) -> ResourceType? {
        self.resourceTypes.first { $0.group == group && $0.version == version && $0.resource == resource }
    }

    static func verb(_ request: KubeEmulatorRequest, route: KubeEmulatorResourceRoute) -> String {
        if let subresource = route.subresource, ["exec", "attach", "portforward"].contains(subresource) {
            return "create"
        }
        switch request.method {
        case .GET, .HEAD:
            if request.queryFlag("watch") { return "watch" }
            return route.name == nil ? "list" : "get"
        case .POST: return "create"
        case .PUT: return "update"
        case .PATCH: return "patch"
        case .DELETE: return route.name == nil ? "deletecollection" : "delete"
        default: return request.method.rawValue.lowercased()
        }
    }

    private func dispatch(
        _ request: KubeEmulatorRequest,
        route: KubeEmulatorResourceRoute,
        verb: String,
        user: User
    ) throws -> KubeEmulatorResponse {
        let type = route.type
        switch (type.resource, route.subresource) {
        case ("selfsubjectreviews", nil) where verb == "create":
            return self.selfSubjectReview(user: user)
        case ("selfsubjectaccessreviews", nil) where verb == "create":
            return try self.selfSubjectAccessReview(request, user: user)
        case ("subjectaccessreviews", nil) where verb == "create" && type.group == "authorization.k8s.io":
            return self.subjectAccessReview(request)
        case ("localsubjectaccessreviews", nil) where verb == "create":
            return self.subjectAccessReview(request, namespace: route.namespace)
        case ("selfsubjectrulesreviews", nil) where verb == "create":
            return self.selfSubjectRulesReview(request, user: user)
        case ("pods", "log") where verb == "get":
            return try self.podLog(request, route: route)
        case ("pods", "exec"), ("pods", "attach"), ("pods", "portforward"):
            _ = try self.storedObject(route)
            return .status(400, reason: "BadRequest", message: "Upgrade request required")
        default:
            break
        }
        guard type.isStored, type.verbs.contains(verb) || verb == "watch" && type.verbs.contains("list") else {
            return .status(405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
        }
        if let subresource = route.subresource, subresource != "status" || !type.subresources.contains("status") {
            return .status(404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        if route.subresource == "status", !["get", "update", "patch"].contains(verb) {
            return .status(405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
        }
        switch verb {
        case "get": return .json(try self.storedObject(route))
        case "list": return try self.list(request, route: route)
        case "watch": return try self.watch(request, route: route)
        case "create": return try self.create(request, route: route)
        case "update": return try self.update(request, route: route)
        case "patch":
            // kube-apiserver's patch handler checks `create` too when a server-side apply creates the object.
            if route.subresource == nil, (try? Self.patchType(request, type: type)) == .apply, (try? self.storedObject(route)) == nil {
                try self.authorize(user: user, verb: "create", route: route, path: request.path)
            }
            return try self.patch(request, route: route)
        case "delete": return try self.delete(request, route: route)
        default:
            return .status(405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
        }
    }
}
