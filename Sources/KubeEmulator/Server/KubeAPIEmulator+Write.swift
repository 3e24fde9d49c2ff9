import Synchronization
import Foundation

/// How a write through the API changed the store.
enum KubeEmulatorWriteOutcome {
    /// A new object was stored (`ADDED`).
    case created
    /// The object changed (`MODIFIED`).
    case modified
    /// Nothing changed: no new resource version, no event, the stored object is returned.
    case unchanged
    /// The write left an object being deleted without finalizers, so it was removed (`DELETED`).
    case removed
}

extension KubeAPIEmulator {
    /// Creates or changes one object through the API (create, update, JSON or merge patch, apply), atomically, with the
    /// API server's rules:
    ///
    /// - `change` gets the stored object (`nil` if missing) and returns the desired one; it throws to refuse
    ///   (e.g. 404 for an update of a missing object).
    /// - A new object needs an existing namespace (404) that is not being deleted (403), and gets the server-set
    ///   fields of ``prepareNew(_:type:namespace:name:)``.
    /// - A non-empty `metadata.resourceVersion` in the desired object must be the stored one (409 Conflict).
    /// - `kind`, `apiVersion`, name, namespace, `uid`, `creationTimestamp`, `deletionTimestamp` and
    ///   `deletionGracePeriodSeconds` stay as stored.
    /// - For types with the `status` subresource, writes to the main resource keep the stored `status` (and a
    ///   create drops the given one), writes to `status` change nothing but `status`.
    /// - No new finalizers on an object being deleted (422 Invalid).
    /// - A write that changes nothing (ignoring `resourceVersion` and `managedFields`) keeps the version and
    ///   sends no event.
    /// - An object being deleted that is left without finalizers is removed (`DELETED` with its last state).
    /// - A new object must not have `metadata.resourceVersion` (500, as the storage layer answers).
    /// - With `dryRun` nothing is stored and no event is sent; the answer is the object as it would be stored, with
    ///   the stored `resourceVersion` (none for a new object), as the API server answers `dryRun=All`.
    /// - `ownership` records who changed which fields (see ``KubeEmulatorFieldOwnership``); an apply that would change
    ///   fields another manager owns fails with 409 unless forced.
    func write(
        _ type: ResourceType,
        namespace: String?,
        name: String,
        subresource: String? = nil,
        dryRun: Bool = false,
        ownership: KubeEmulatorOwnershipChange? = nil,
        check: KubeEmulatorRBACWriteCheck? = nil,
        _ change: (KubeEmulatorJSON?) throws -> KubeEmulatorJSON
    ) throws -> (object: KubeEmulatorJSON, outcome: KubeEmulatorWriteOutcome) {
        let id = KubeEmulatorObjectID(namespace: namespace ?? "", name: name)
        let historyLimit = self.configuration.watchHistoryLimit
        return try self.state.withLock { state in
            let existing = state.objects[type.key]?[id]
            var object = try change(existing)
            try check?(type, namespace, existing, object)
            /// Checks an apply for conflicts and records the new owners (once `object` is final).
            func recordOwnership(of object: KubeEmulatorJSON) throws {
                guard let ownership else { return }
                let live = existing.map { KubeEmulatorFieldOwnership.fields(of: $0) } ?? [:]
                let fields = KubeEmulatorFieldOwnership.fields(of: object)
                var record = existing == nil ? KubeEmulatorFieldOwnership() : state.fieldOwnership[type.key]?[id] ?? KubeEmulatorFieldOwnership()
                switch ownership {
                case .apply(let manager, let configuration, let force):
                    let status: Bool? = type.subresources.contains("status") ? subresource == "status" : nil
                    let applied = KubeEmulatorFieldOwnership.fields(of: configuration, status: status)
                    let conflicts = record.conflicts(applying: applied, by: manager, live: live)
                    if !conflicts.isEmpty, !force {
                        throw KubeEmulatorFailure(response: KubeEmulatorFieldOwnership.conflictResponse(conflicts))
                    }
                    record.recordApply(applied, by: manager, live: live)
                case .update(let manager):
                    record.recordUpdate(from: live, to: fields, by: manager)
                }
                record.keepOnly(fields)
                if !dryRun { state.fieldOwnership[type.key, default: [:]][id] = record }
            }
            guard let existing else {
                try Self.checkNamespaceAcceptsNewObjects(type, namespace: namespace, name: name, state: state)
                if let version = object.metadataString("resourceVersion"), !version.isEmpty {
                    throw KubeEmulatorFailure(response: .resourceVersionSetOnCreate)
                }
                if type.subresources.contains("status") { object["status"] = nil }
                object = self.prepareNew(object, type: type, namespace: namespace, name: name)
                for key in ["deletionTimestamp", "deletionGracePeriodSeconds", "managedFields"] { object.setMetadata(key, nil) }
                try recordOwnership(of: object)
                if dryRun { return (object, .created) }
                let stored = state.store(object, typeKey: type.key, id: id, eventType: "ADDED", historyLimit: historyLimit)
                return (stored, .created)
            }
            if let version = object.metadataString("resourceVersion"), !version.isEmpty,
               version != existing.metadataString("resourceVersion") {
                throw KubeEmulatorFailure(response: .staleResourceVersion(type, name: name))
            }
            object = Self.keepingServerFields(object, existing: existing, type: type, namespace: namespace, name: name)
            if type.subresources.contains("status") {
                if subresource == "status" {
                    var statusOnly = existing
                    statusOnly["status"] = object["status"]
                    object = statusOnly
                } else {
                    object["status"] = existing["status"]
                }
            }
            try Self.checkNoNewFinalizers(object, existing: existing, type: type, name: name)
            try recordOwnership(of: object)
            if object.withoutVersionFields == existing.withoutVersionFields {
                return (existing, .unchanged)
            }
            if dryRun {
                object.setMetadata("resourceVersion", existing["metadata"]?["resourceVersion"])
                object.setMetadata("managedFields", nil)
                return (object, object.isBeingDeleted && object.finalizers.isEmpty ? .removed : .modified)
            }
            if object.isBeingDeleted, object.finalizers.isEmpty {
                self.removeNamespaceContents(type, name: name, state: &state)
                let removed = state.store(nil, last: object, typeKey: type.key, id: id, eventType: "DELETED",
                                          historyLimit: historyLimit)
                return (removed, .removed)
            }
            let stored = state.store(object, typeKey: type.key, id: id, eventType: "MODIFIED", historyLimit: historyLimit)
            return (stored, .modified)
        }
    }

    /// `object` with the fields only the server sets taken from `existing`.
    private static func keepingServerFields(
        _ object: KubeEmulatorJSON,
        existing: KubeEmulatorJSON,
        type: ResourceType,
        namespace: String?,
        name: String
    ) -> KubeEmulatorJSON {
        var object = object
        if object["metadata"]?.objectValue == nil { object["metadata"] = [:] }
        object["kind"] = .string(type.kind)
        object["apiVersion"] = .string(type.apiVersion)
        object.setMetadata("name", .string(name))
        object.setMetadata("namespace", namespace.map { .string($0) })
        for key in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"] {
            object.setMetadata(key, existing["metadata"]?[key])
        }
        return object
    }

    /// 404 if a namespaced object's namespace does not exist, 403 if it is being deleted.
    private static func checkNamespaceAcceptsNewObjects(
        _ type: ResourceType,
        namespace: String?,
        name: String,
        state: KubeEmulatorState
    ) throws {
        guard type.namespaced, let namespace else { return }
        let namespaceID = KubeEmulatorObjectID(namespace: "", name: namespace)
        guard let namespaceObject = state.objects[ResourceType.namespacesKey]?[namespaceID] else {
            throw KubeEmulatorFailure(response: .status(
                404, reason: "NotFound", message: "namespaces \"\(namespace)\" not found",
                details: ["name": .string(namespace), "kind": "namespaces"]))
        }
        if namespaceObject.isBeingDeleted {
            let groupSuffix = type.group.isEmpty ? "" : ".\(type.group)"
            throw KubeEmulatorFailure(response: .status(
                403, reason: "Forbidden",
                message: "\(type.resource)\(groupSuffix) \"\(name)\" is forbidden: unable to create new content in namespace \(namespace) because it is being terminated",
                details: [
                    "name": .string(name), "group": .string(type.group), "kind": .string(type.resource),
                    "causes": [[
                        "reason": "NamespaceTerminating",
                        "message": .string("namespace \(namespace) is being terminated"),
                        "field": "metadata.namespace",
                    ]],
                ]))
        }
    }

    /// 422 Invalid when `object` has finalizers `existing` lacks while `existing` is being deleted.
    private static func checkNoNewFinalizers(
        _ object: KubeEmulatorJSON,
        existing: KubeEmulatorJSON,
        type: ResourceType,
        name: String
    ) throws {
        guard existing.isBeingDeleted else { return }
        let added = Set(object.finalizers).subtracting(existing.finalizers).sorted()
        guard !added.isEmpty else { return }
        let goList = "[]string{" + added.map { "\"\($0)\"" }.joined(separator: ", ") + "}"
        throw KubeEmulatorFailure(response: .invalid(
            kind: type.kind, group: type.group, name: name, field: "metadata.finalizers", errorType: "Forbidden",
            causeReason: "FieldValueForbidden",
            detail: "no new finalizers can be added if the object is being deleted, found new finalizers \(goList)"))
    }
}
