import Foundation
import NIOCore
import NIOHTTP1

extension KubeAPIServerDouble {
    /// The object a route names, or a 404 `NotFound` Status.
    func storedObject(_ route: KubeDoubleResourceRoute) throws -> KubeDoubleJSON {
        let type = route.type
        let id = KubeDoubleObjectID(namespace: route.namespace ?? "", name: route.name ?? "")
        guard let object = self.state.withLock({ $0.objects[type.key]?[id] }) else {
            throw KubeDoubleFailure(response: .notFound(type, name: id.name))
        }
        return object
    }

    func list(_ request: KubeDoubleRequest, route: KubeDoubleResourceRoute) throws -> KubeDoubleResponse {
        let filter = try self.filter(request, route: route)
        let (items, resourceVersion) = self.state.withLock { state in
            let items = (state.objects[route.type.key] ?? [:])
                .filter { filter.matches(typeKey: route.type.key, object: $0.value) }
                .sorted { $0.key < $1.key }
                .map(\.value)
            return (items, state.resourceVersion)
        }
        return .json([
            "kind": .string("\(route.type.kind)List"), "apiVersion": .string(route.type.apiVersion),
            "metadata": ["resourceVersion": .string(String(resourceVersion))], "items": .array(items),
        ])
    }

    /// The watch/list filter from the route and the `labelSelector` / `fieldSelector` parameters.
    func filter(_ request: KubeDoubleRequest, route: KubeDoubleResourceRoute) throws -> KubeDoubleFilter {
        var filter = KubeDoubleFilter(typeKey: route.type.key, namespace: route.namespace)
        filter.labelSelector = KubeDoubleFilter.parseLabelSelector(request.queryValue("labelSelector"))
        for term in (request.queryValue("fieldSelector") ?? "").split(separator: ",") {
            let parts = term.replacingOccurrences(of: "==", with: "=").split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw KubeDoubleFailure(response: .badRequest("invalid field selector \"\(term)\"")) }
            switch parts[0] {
            case "metadata.name": filter.name = parts[1]
            case "metadata.namespace": filter.namespace = parts[1]
            default:
                throw KubeDoubleFailure(response: .badRequest("\"\(parts[0])\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""))
            }
        }
        return filter
    }

    func create(_ request: KubeDoubleRequest, route: KubeDoubleResourceRoute) throws -> KubeDoubleResponse {
        guard route.name == nil else {
            return .status(405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
        }
        var object = try Self.bodyObject(request)
        var name = object.metadataString("name") ?? ""
        if name.isEmpty, let prefix = object.metadataString("generateName"), !prefix.isEmpty {
            name = prefix + String(UUID().uuidString.lowercased().filter(\.isLetter).prefix(5))
            object.setMetadata("name", .string(name))
        }
        guard !name.isEmpty else {
            return .status(422, reason: "Invalid", message: "\(route.type.kind) \"\" is invalid: metadata.name: Required value: name or generateName is required")
        }
        try Self.checkNamespace(object, route: route)
        let stored = try self.write(route.type, namespace: route.namespace, name: name) { existing in
            if existing != nil {
                throw KubeDoubleFailure(response: .status(
                    409, reason: "AlreadyExists", message: "\(route.type.resource) \"\(name)\" already exists",
                    details: ["name": .string(name), "group": .string(route.type.group), "kind": .string(route.type.resource)]))
            }
            return object
        }
        return .json(stored.object, status: .created)
    }

    /// `PUT`: replaces the object (or, on `status`, its status); see ``write(_:namespace:name:subresource:_:)``.
    func update(_ request: KubeDoubleRequest, route: KubeDoubleResourceRoute) throws -> KubeDoubleResponse {
        let name = route.name ?? ""
        let object = try Self.bodyObject(request)
        if let bodyName = object.metadataString("name"), bodyName != name {
            return .badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        try Self.checkNamespace(object, route: route)
        let stored = try self.write(route.type, namespace: route.namespace, name: name, subresource: route.subresource) { existing in
            guard existing != nil else { throw KubeDoubleFailure(response: .notFound(route.type, name: name)) }
            return object
        }
        return .json(stored.object)
    }

    /// `PATCH`: a JSON merge patch (strategic merge patches are treated as merge patches), or server-side apply.
    func patch(_ request: KubeDoubleRequest, route: KubeDoubleResourceRoute) throws -> KubeDoubleResponse {
        let contentType = (request.head.headers["Content-Type"].first ?? "").lowercased()
        if contentType.hasPrefix("application/apply-patch+yaml") {
            return try self.apply(request, route: route)
        }
        guard contentType.hasPrefix("application/merge-patch+json")
            || contentType.hasPrefix("application/strategic-merge-patch+json") else {
            return .status(415, reason: "UnsupportedMediaType",
                           message: "the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml")
        }
        if request.queryValue("force") != nil {
            throw KubeDoubleFailure(response: .invalid(
                kind: "PatchOptions", group: "meta.k8s.io", name: "", field: "force", errorType: "Forbidden",
                causeReason: "FieldValueForbidden", detail: "may not be specified for non-apply patch"))
        }
        let patch = try Self.bodyObject(request)
        let stored = try self.mergePatch(route.type, namespace: route.namespace, name: route.name ?? "",
                                         subresource: route.subresource, patch: patch)
        return .json(stored)
    }

    /// Applies an RFC 7386 merge patch to a stored object through ``write(_:namespace:name:subresource:_:)``.
    func mergePatch(
        _ type: ResourceType,
        namespace: String?,
        name: String,
        subresource: String?,
        patch: KubeDoubleJSON
    ) throws -> KubeDoubleJSON {
        try self.write(type, namespace: namespace, name: name, subresource: subresource) { existing in
            guard let existing else { throw KubeDoubleFailure(response: .notFound(type, name: name)) }
            return existing.mergePatched(with: patch)
        }.object
    }

    /// Changes one stored object atomically, without the API rules of ``write(_:namespace:name:subresource:_:)``
    /// (for the `upsert` and `removeObject` test hooks): `change` gets the current object and returns the new one
    /// (`nil` deletes) and the event type. Always bumps the resource version, stores, and notifies watches.
    /// Returns the object as stored (for a deletion: its last state).
    func commit(
        _ type: ResourceType,
        namespace: String?,
        name: String,
        _ change: (KubeDoubleJSON?) throws -> (KubeDoubleJSON?, String)
    ) throws -> KubeDoubleJSON {
        let id = KubeDoubleObjectID(namespace: namespace ?? "", name: name)
        return try self.state.withLock { state in
            let existing = state.objects[type.key]?[id]
            if type.namespaced, let namespace, type.resource != "namespaces",
               state.objects[ResourceType.namespacesKey]?[KubeDoubleObjectID(namespace: "", name: namespace)] == nil,
               existing == nil {
                throw KubeDoubleFailure(response: .status(
                    404, reason: "NotFound", message: "namespaces \"\(namespace)\" not found",
                    details: ["name": .string(namespace), "kind": "namespaces"]))
            }
            let (newObject, eventType) = try change(existing)
            return state.store(newObject, last: existing, typeKey: type.key, id: id, eventType: eventType,
                               historyLimit: self.configuration.watchHistoryLimit)
        }
    }

    /// A new object with server-set fields: kind, apiVersion, namespace, uid, creation time, pod status.
    func prepareNew(_ object: KubeDoubleJSON, type: ResourceType, namespace: String?, name: String) -> KubeDoubleJSON {
        var object = object
        object["kind"] = .string(type.kind)
        object["apiVersion"] = .string(type.apiVersion)
        object.setMetadata("name", .string(name))
        if let namespace { object.setMetadata("namespace", .string(namespace)) }
        object.setMetadata("uid", .string(UUID().uuidString.lowercased()))
        object.setMetadata("creationTimestamp", .string(ISO8601DateFormatter().string(from: Date())))
        if type.resource == "pods", object["status"] == nil {
            object["status"] = ["phase": "Running"]
        }
        if type.resource == "namespaces", object["status"] == nil {
            object["status"] = ["phase": "Active"]
        }
        return object
    }

    static func bodyObject(_ request: KubeDoubleRequest) throws -> KubeDoubleJSON {
        let contentType = (request.head.headers["Content-Type"].first ?? "application/json").lowercased()
        guard contentType.contains("json") else {
            throw KubeDoubleFailure(response: .status(
                415, reason: "UnsupportedMediaType",
                message: "the body of the request was in an unknown format - accepted media types include: application/json"))
        }
        guard let object = try? KubeDoubleJSON.parse(request.body), object.objectValue != nil else {
            throw KubeDoubleFailure(response: .badRequest("the request body is not a JSON object"))
        }
        return object
    }

    static func checkNamespace(_ object: KubeDoubleJSON, route: KubeDoubleResourceRoute) throws {
        if let namespace = object.metadataString("namespace"), !namespace.isEmpty,
           let routeNamespace = route.namespace, namespace != routeNamespace {
            throw KubeDoubleFailure(response: .badRequest(
                "the namespace of the provided object does not match the namespace sent on the request"))
        }
    }
}
