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
        return try Self.impersonated(request.head.headers, authenticated: authenticated)
    }

    /// Applies `Impersonate-User`, `-Uid`, `-Group` (each line) and `-Extra-*` like the API server's filter.
    static func impersonated(_ headers: HTTPHeaders, authenticated: User) throws -> User {
        let userName = headers["Impersonate-User"].first
        let uid = headers["Impersonate-Uid"].first
        let groups = headers["Impersonate-Group"]
        var extra: [String: [String]] = [:]
        for (name, value) in headers where name.lowercased().hasPrefix("impersonate-extra-") {
            let key = String(name.dropFirst("impersonate-extra-".count)).lowercased()
            extra[key.removingPercentEncoding ?? key, default: []].append(value)
        }
        guard let userName else {
            if uid != nil || !groups.isEmpty || !extra.isEmpty {
                throw KubeEmulatorFailure(response: .status(
                    500, reason: "InternalError",
                    message: "Internal error occurred: requested impersonation without impersonating a user"))
            }
            return authenticated
        }
        var allGroups = groups
        if userName != "system:anonymous", !allGroups.contains("system:authenticated") {
            allGroups.append("system:authenticated")
        }
        return User(name: userName, uid: uid, groups: allGroups, extra: extra)
    }

    /// The access a resource request asks for (what authorization and fault injection decide on).
    static func accessRequest(user: User, verb: String, route: KubeEmulatorResourceRoute, path: String) -> AccessRequest {
        AccessRequest(user: user, verb: verb, group: route.type.group, resource: route.type.resource,
                      subresource: route.subresource, namespace: route.namespace, name: route.name, path: path)
    }

    /// Throws 403 unless the authorization rule allows `verb` on the route for `user`.
    func authorize(user: User, verb: String, route: KubeEmulatorResourceRoute, path: String) throws {
        if ["selfsubjectreviews", "selfsubjectaccessreviews"].contains(route.type.resource) { return }
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
        return authorization.decide(access)
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
        let protobuf = KubeEmulatorProtobuf.selfSubjectAccessReview(Array(request.body.readableBytesView))
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
        review["status"] = ["allowed": .bool(self.allows(access))]
        review["metadata"] = ["creationTimestamp": .null]
        return .json(review, status: .created)
    }
}
