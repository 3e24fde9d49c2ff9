import Synchronization
import Foundation
import NIOCore
import NIOHTTP1

extension KubeAPIEmulator {
    /// The authenticated user after impersonation; throws 401 without a known bearer token.
    func effectiveUser(_ request: KubeEmulatorRequest) throws -> User {
        let authorization = request.head.headers["Authorization"].first ?? ""
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw KubeEmulatorFailure(response: .status(401, reason: "Unauthorized", message: "Unauthorized"))
        }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        let authenticated: User
        if token == self.configuration.token {
            authenticated = self.configuration.tokenUser
        } else if let user = self.configuration.additionalTokens[token] {
            authenticated = user
        } else {
            throw KubeEmulatorFailure(response: .status(401, reason: "Unauthorized", message: "Unauthorized"))
        }
        if self.usesRBAC { try self.checkImpersonation(request.head.headers, authenticated: authenticated) }
        return try Self.impersonated(request.head.headers, authenticated: authenticated)
    }

    /// Applies `Impersonate-User`, `-Uid`, `-Group` (each line) and `-Extra-*` like the API server's filter: a
    /// service account without `Impersonate-Group` gets its groups, `system:anonymous` gets
    /// `system:unauthenticated`, anyone else `system:authenticated`.
    static func impersonated(_ headers: HTTPHeaders, authenticated: User) throws -> User {
        let userName = headers["Impersonate-User"].first
        let uid = headers["Impersonate-Uid"].first
        let groups = headers["Impersonate-Group"]
        let extra = Self.impersonatedExtra(headers)
        guard let userName else {
            if uid != nil || !groups.isEmpty || !extra.isEmpty {
                throw KubeEmulatorFailure(response: .status(
                    500, reason: "InternalError",
                    message: "Internal error occurred: requested impersonation without impersonating a user"))
            }
            return authenticated
        }
        var allGroups = groups
        if groups.isEmpty, let account = Self.serviceAccount(userName) {
            allGroups = ["system:serviceaccounts", "system:serviceaccounts:\(account.namespace)"]
        }
        if userName == "system:anonymous" {
            if !allGroups.contains(KubeUser.unauthenticatedGroup) { allGroups.append(KubeUser.unauthenticatedGroup) }
        } else if !allGroups.contains(KubeUser.authenticatedGroup), !allGroups.contains(KubeUser.unauthenticatedGroup) {
            allGroups.append(KubeUser.authenticatedGroup)
        }
        return User(name: userName, groups: allGroups, uid: uid, extra: extra)
    }

    /// The access a resource request asks for (what authorization and fault injection decide on).
    static func accessRequest(user: User, verb: String, route: KubeEmulatorResourceRoute, path: String) -> AccessRequest {
        AccessRequest(user: user, verb: verb, group: route.type.group, resource: route.type.resource,
                      subresource: route.subresource, namespace: route.namespace, name: route.name, path: path)
    }

    /// Throws 403 unless the authorization rule allows `verb` on the route for `user`.
    func authorize(user: User, verb: String, route: KubeEmulatorResourceRoute, path: String) throws {
        if self.usesRBAC {
            let attributes = AccessAttributes.resource(user, verb, group: route.type.group, route.type.resource,
                                                       subresource: route.subresource, namespace: route.namespace, name: route.name)
            let decision = self.rbacPolicy.authorize(attributes)
            if !decision.allowed { throw KubeEmulatorFailure(response: Self.forbidden(attributes, reason: decision.reason)) }
            return
        }
        if ["selfsubjectreviews", "selfsubjectaccessreviews", "selfsubjectrulesreviews"].contains(route.type.resource) { return }
        guard !self.allows(Self.accessRequest(user: user, verb: verb, route: route, path: path)) else { return }
        let resource = route.subresource.map { "\(route.type.resource)/\($0)" } ?? route.type.resource
        let scope = route.namespace.map { "in the namespace \"\($0)\"" } ?? "at the cluster scope"
        let subject = route.name.map { "\(route.type.resource) \"\($0)\"" } ?? route.type.resource
        var details: KubeEmulatorJSON = ["group": .string(route.type.group), "kind": .string(route.type.resource)]
        if let name = route.name { details["name"] = .string(name) }
        throw KubeEmulatorFailure(response: .status(
            403, reason: "Forbidden",
            message: "\(subject) is forbidden: User \"\(user.name)\" cannot \(verb) resource \"\(resource)\" in API group \"\(route.type.group)\" \(scope)",
            details: details))
    }

    func allows(_ access: AccessRequest) -> Bool {
        let authorization = self.state.withLock { $0.authorization }
        guard authorization.isRBAC else { return authorization.decide(access) }
        return self.rbacDecision(access).allowed
    }

    /// The RBAC policy's decision on `access` (a resource request when it names a resource, else a path).
    func rbacDecision(_ access: AccessRequest) -> RBACDecision {
        let attributes: AccessAttributes = access.resource.isEmpty
            ? .nonResource(access.user, access.verb, path: access.path)
            : .resource(access.user, access.verb, group: access.group, access.resource, subresource: access.subresource,
                        namespace: access.namespace, name: access.name)
        return self.rbacPolicy.authorize(attributes)
    }

    /// `kubectl auth whoami`.
    func selfSubjectReview(user: User) -> KubeEmulatorResponse {
        var userInfo: KubeEmulatorJSON = [
            "username": .string(user.name),
            "groups": .array(user.groups.map { .string($0) }),
        ]
        if let uid = user.uid { userInfo["uid"] = .string(uid) }
        if !user.extra.isEmpty {
            userInfo["extra"] = .object(user.extra.mapValues { .array($0.map { .string($0) }) })
        }
        return .json([
            "kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
            "metadata": ["creationTimestamp": .null], "status": ["userInfo": userInfo],
        ], status: .created)
    }

    /// `kubectl auth can-i`.
    func selfSubjectAccessReview(_ request: KubeEmulatorRequest, user: User) throws -> KubeEmulatorResponse {
        let protobuf = KubeEmulatorProtobuf.object(Array(request.body.readableBytesView), kind: "SelfSubjectAccessReview",
                                                  apiVersion: "authorization.k8s.io/v1")
        guard var review = protobuf ?? (try? KubeEmulatorJSON.parse(request.body)) else {
            return .badRequest("the request body is not a SelfSubjectAccessReview")
        }
        let spec = review["spec"]
        let attributes = spec?["resourceAttributes"]
        let access = AccessRequest(
            user: user,
            verb: attributes?["verb"]?.stringValue ?? spec?["nonResourceAttributes"]?["verb"]?.stringValue ?? "get",
            group: attributes?["group"]?.stringValue ?? "",
            resource: attributes?["resource"]?.stringValue ?? "",
            subresource: attributes?["subresource"]?.stringValue,
            namespace: attributes?["namespace"]?.stringValue,
            name: attributes?["name"]?.stringValue,
            path: spec?["nonResourceAttributes"]?["path"]?.stringValue ?? ""
        )
        if self.usesRBAC {
            let decision = self.rbacDecision(access)
            var status: KubeEmulatorJSON = ["allowed": .bool(decision.allowed)]
            if !decision.reason.isEmpty { status["reason"] = .string(decision.reason) }
            review["status"] = status
        } else {
            review["status"] = ["allowed": .bool(self.allows(access))]
        }
        review["metadata"] = ["creationTimestamp": .null]
        return .json(review, status: .created)
    }
}
