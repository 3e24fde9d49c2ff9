import Synchronization
import Foundation
import NIOCore
import NIOHTTP1

extension KubeAPIEmulator {
    /// The object a route names, or a 404 `NotFound` Status.
    func storedObject(_ route: KubeEmulatorResourceRoute) throws -> KubeEmulatorJSON {
        let type = route.type
        let id = KubeEmulatorObjectID(namespace: route.namespace ?? "", name: route.name ?? "")
        guard let object = self.state.withLock({ $0.objects[type.key]?[id] }) else {
            throw KubeEmulatorFailure(response: .notFound(type, name: id.name))
        }
        return object
    }

    func list(_ request: KubeEmulatorRequest, route: KubeEmulatorResourceRoute) throws -> KubeEmulatorResponse {
        let filter = try self.filter(request, route: route)
        let (items, resourceVersion) = self.state.withLock { state in
            let items = state.objects(typeKey: route.type.key, namespace: filter.namespace)
                .map(\.object)
                .filter { filter.matches(typeKey: route.type.key, object: $0) }
            return (items, state.resourceVersion)
        }
        return .json([
            "kind": .string("\(route.type.kind)List"), "apiVersion": .string(route.type.apiVersion),
            "metadata": ["resourceVersion": .string(String(resourceVersion))], "items": .array(items),
        ])
    }

    /// The watch/list filter from the route and the `labelSelector` / `fieldSelector` parameters.
    func filter(_ request: KubeEmulatorRequest, route: KubeEmulatorResourceRoute) throws -> KubeEmulatorFilter {
        var filter = KubeEmulatorFilter(typeKey: route.type.key, namespace: route.namespace)
        filter.labelSelector = KubeEmulatorFilter.parseLabelSelector(request.queryValue("labelSelector"))
        for term in (request.queryValue("fieldSelector") ?? "").split(separator: ",") {
            let parts = term.replacingOccurrences(of: "==", with: "=").split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw KubeEmulatorFailure(response: .badRequest("invalid field selector \"\(term)\"")) }
            switch parts[0] {
            case "metadata.name": filter.name = parts[1]
            case "metadata.namespace": filter.namespace = parts[1]
            default:
                throw KubeEmulatorFailure(response: .badRequest("\"\(parts[0])\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""))
            }
        }
        return filter
    }

    /// `POST`: creates an object from a JSON or YAML body (see ``requestObject(_:type:)``).
    ///
    /// Without `metadata.name`, `metadata.generateName` gets five random characters appended, as the API server's
    /// `names.SimpleNameGenerator` does (the prefix cut to 58 characters); a generated name that is taken is
    /// generated again, up to 8 tries, as with the `RetryGenerateName` feature. A `metadata.resourceVersion` in the
    /// body is refused with the storage layer's 500 (see ``write(_:namespace:name:subresource:dryRun:ownership:_:)``).
    func create(_ request: KubeEmulatorRequest, route: KubeEmulatorResourceRoute) throws -> KubeEmulatorResponse {
        guard route.name == nil else {
            return .status(405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
        }
        let options = try Self.writeOptions(request, kind: "CreateOptions")
        let object = try Self.requestObject(request, type: route.type)
        let givenName = object.metadataString("name") ?? ""
        let prefix = object.metadataString("generateName") ?? ""
        guard !givenName.isEmpty || !prefix.isEmpty else {
            return .status(422, reason: "Invalid", message: "\(route.type.kind) \"\" is invalid: metadata.name: Required value: name or generateName is required")
        }
        try Self.checkNamespace(object, route: route)
        let attempts = givenName.isEmpty ? 8 : 1
        for attempt in 1...attempts {
            let name = givenName.isEmpty ? Self.generatedName(prefix) : givenName
            var candidate = object
            candidate.setMetadata("name", .string(name))
            do {
                let stored = try self.write(route.type, namespace: route.namespace, name: name, dryRun: options.dryRun,
                                            ownership: .update(options.manager(of: route.type, subresource: nil)),
                                            check: request.rbacWriteCheck) { existing in
                    guard existing == nil else {
                        if let version = candidate.metadataString("resourceVersion"), !version.isEmpty {
                            throw KubeEmulatorFailure(response: .resourceVersionSetOnCreate)
                        }
                        throw KubeEmulatorNameTaken()
                    }
                    return candidate
                }
                return .json(stored.object, status: .created)
            } catch is KubeEmulatorNameTaken where attempt < attempts {
                continue
            } catch is KubeEmulatorNameTaken {
                let generated = givenName.isEmpty ? ", the server was not able to generate a unique name for the object" : ""
                return .status(
                    409, reason: "AlreadyExists", message: "\(route.type.resource) \"\(name)\" already exists\(generated)",
                    details: ["name": .string(name), "group": .string(route.type.group), "kind": .string(route.type.resource)])
            }
        }
        preconditionFailure("unreachable: the last attempt returns")
    }

    /// `prefix` with five characters of `names.SimpleNameGenerator`'s alphabet (no vowels, no look-alikes).
    static func generatedName(_ prefix: String) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String(prefix.prefix(58)) + String((0..<5).map { _ in alphabet.randomElement()! })
    }

    /// `PUT`: replaces the object (or, on `status`, its status) with a JSON or YAML body; see
    /// ``write(_:namespace:name:subresource:dryRun:ownership:_:)``. Custom resources need `metadata.resourceVersion`
    /// (422, as their strategy does not allow unconditional updates); built-in types take the update without it.
    func update(_ request: KubeEmulatorRequest, route: KubeEmulatorResourceRoute) throws -> KubeEmulatorResponse {
        let name = route.name ?? ""
        let options = try Self.writeOptions(request, kind: "UpdateOptions")
        let object = try Self.requestObject(request, type: route.type)
        if let bodyName = object.metadataString("name"), bodyName != name {
            return .badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        try Self.checkNamespace(object, route: route)
        let stored = try self.write(route.type, namespace: route.namespace, name: name, subresource: route.subresource,
                                    dryRun: options.dryRun,
                                    ownership: .update(options.manager(of: route.type, subresource: route.subresource)),
                                    check: request.rbacWriteCheck) { existing in
            guard existing != nil else { throw KubeEmulatorFailure(response: .notFound(route.type, name: name)) }
            if route.type.isCustomResource, (object.metadataString("resourceVersion") ?? "").isEmpty {
                // `genericregistry.Store.Update`: the qualified kind is the group and the plural resource.
                throw KubeEmulatorFailure(response: .invalid(
                    kind: route.type.resource, group: route.type.group, name: name, field: "metadata.resourceVersion",
                    errorType: "Invalid value", causeReason: "FieldValueInvalid", detail: "0x0: must be specified for an update"))
            }
            return object
        }
        return .json(stored.object)
    }

    /// `PATCH`: server-side apply (see ``apply(_:route:)``), an RFC 6902 JSON patch, or an RFC 7386 merge patch
    /// (strategic merge patches, taken for built-in types only, are read as merge patches: no merging of lists by
    /// key, no `$patch` directives).
    func patch(_ request: KubeEmulatorRequest, route: KubeEmulatorResourceRoute) throws -> KubeEmulatorResponse {
        let patchType = try Self.patchType(request, type: route.type)
        if patchType == .apply {
            return try self.apply(request, route: route)
        }
        let options = try Self.writeOptions(request, kind: "PatchOptions")
        let name = route.name ?? ""
        let change: (KubeEmulatorJSON) throws -> KubeEmulatorJSON
        if patchType == .json {
            let patch: KubeEmulatorJSONPatch
            do {
                patch = try KubeEmulatorJSONPatch(request.body)
            } catch {
                throw KubeEmulatorFailure(response: .badRequest("\(error)"))
            }
            change = { existing in
                do {
                    return try patch.applied(to: existing)
                } catch {
                    // `errors.NewGenericServerResponse(422, ...)` keeps none of the patch error's text.
                    throw KubeEmulatorFailure(response: .status(
                        422, reason: "Invalid", message: "the server rejected our request due to an error in our request"))
                }
            }
        } else {
            guard let patch = try? KubeEmulatorJSON.parse(request.body), patch.objectValue != nil else {
                throw KubeEmulatorFailure(response: .badRequest("the merge patch is not a JSON object"))
            }
            change = { $0.mergePatched(with: patch) }
        }
        let stored = try self.write(route.type, namespace: route.namespace, name: name, subresource: route.subresource,
                                    dryRun: options.dryRun,
                                    ownership: .update(options.manager(of: route.type, subresource: route.subresource)),
                                    check: request.rbacWriteCheck) { existing in
            guard let existing else { throw KubeEmulatorFailure(response: .notFound(route.type, name: name)) }
            return try change(existing)
        }
        return .json(stored.object)
    }

    /// Applies an RFC 7386 merge patch to a stored object through
    /// ``write(_:namespace:name:subresource:dryRun:ownership:_:)``, as an update by manager `mergePatchObject`.
    func mergePatch(
        _ type: ResourceType,
        namespace: String?,
        name: String,
        subresource: String?,
        patch: KubeEmulatorJSON
    ) throws -> KubeEmulatorJSON {
        let manager = KubeEmulatorFieldManager(name: "mergePatchObject", applies: false, subresource: subresource, apiVersion: type.apiVersion)
        return try self.write(type, namespace: namespace, name: name, subresource: subresource, ownership: .update(manager)) { existing in
            guard let existing else { throw KubeEmulatorFailure(response: .notFound(type, name: name)) }
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
        _ change: (KubeEmulatorJSON?) throws -> (KubeEmulatorJSON?, String)
    ) throws -> KubeEmulatorJSON {
        let id = KubeEmulatorObjectID(namespace: namespace ?? "", name: name)
        return try self.state.withLock { state in
            let existing = state.objects[type.key]?[id]
            if type.namespaced, let namespace, type.resource != "namespaces",
               state.objects[ResourceType.namespacesKey]?[KubeEmulatorObjectID(namespace: "", name: namespace)] == nil,
               existing == nil {
                throw KubeEmulatorFailure(response: .status(
                    404, reason: "NotFound", message: "namespaces \"\(namespace)\" not found",
                    details: ["name": .string(namespace), "kind": "namespaces"]))
            }
            let (newObject, eventType) = try change(existing)
            state.fieldOwnership[type.key]?[id] = nil
            return state.store(newObject, last: existing, typeKey: type.key, id: id, eventType: eventType,
                               historyLimit: self.configuration.watchHistoryLimit)
        }
    }

    /// A new object with server-set fields: kind, apiVersion, namespace, uid, creation time, pod status.
    func prepareNew(_ object: KubeEmulatorJSON, type: ResourceType, namespace: String?, name: String) -> KubeEmulatorJSON {
        var object = object
        object["kind"] = .string(type.kind)
        object["apiVersion"] = .string(type.apiVersion)
        object.setMetadata("name", .string(name))
        if let namespace { object.setMetadata("namespace", .string(namespace)) }
        object.setMetadata("uid", .string(UUID().uuidString.lowercased()))
        object.setMetadata("creationTimestamp", .string(Self.now()))
        if type.resource == "pods", object["status"] == nil {
            object["status"] = ["phase": "Running"]
        }
        if type.resource == "namespaces", object["status"] == nil {
            object["status"] = ["phase": "Active"]
        }
        return object
    }

    /// The time now as the API server writes timestamps (RFC 3339, UTC, whole seconds).
    static func now() -> String {
        Date().formatted(.iso8601)
    }

    static func checkNamespace(_ object: KubeEmulatorJSON, route: KubeEmulatorResourceRoute) throws {
        if let namespace = object.metadataString("namespace"), !namespace.isEmpty,
           let routeNamespace = route.namespace, namespace != routeNamespace {
            throw KubeEmulatorFailure(response: .badRequest(
                "the namespace of the provided object does not match the namespace sent on the request"))
        }
    }
}

/// A create's name is taken (409 `AlreadyExists`, or another try for a generated name).
struct KubeEmulatorNameTaken: Error {}
