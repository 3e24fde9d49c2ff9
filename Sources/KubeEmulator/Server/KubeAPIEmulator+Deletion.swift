import Synchronization
import Foundation
import NIOCore

/// `DeleteOptions.preconditions`: what the object must still be for a delete to proceed.
struct KubeEmulatorDeletePreconditions: Sendable {
    var uid: String?
    var resourceVersion: String?
    /// `dryRun: ["All"]` (in the body or the query): nothing is changed, the answer is what would be.
    var dryRun = false
}

extension KubeAPIEmulator {
    /// `DELETE` of one object, with an optional JSON `DeleteOptions` body (`preconditions` and `dryRun`, also as
    /// a query parameter, are honoured; `propagationPolicy` and `gracePeriodSeconds` are accepted and ignored).
    /// Answers 200 with the object: its last state when removed, its state with `deletionTimestamp` when
    /// finalizers keep it.
    func delete(_ request: KubeEmulatorRequest, route: KubeEmulatorResourceRoute) throws -> KubeEmulatorResponse {
        let preconditions = try Self.deletePreconditions(request)
        let deleted = try self.deleteStored(route.type, namespace: route.namespace, name: route.name ?? "",
                                            preconditions: preconditions)
        return .json(deleted.object)
    }

    /// Deletes one object with the API server's rules, atomically:
    ///
    /// - Preconditions that do not hold give 409 Conflict.
    /// - With finalizers, the object stays: `metadata.deletionTimestamp` (now, UTC) and
    ///   `deletionGracePeriodSeconds: 0` are set once (`MODIFIED`; a Namespace's `status.phase` becomes
    ///   `Terminating`); deleting it again changes nothing. It is removed by the write that clears its finalizers.
    /// - Without finalizers it is removed (`DELETED`). Removing a Namespace first removes every object stored in
    ///   it, each with its own `DELETED` event (a real cluster's namespace controller does this asynchronously
    ///   and waits for their finalizers; the double does it at once, regardless of their finalizers).
    func deleteStored(
        _ type: ResourceType,
        namespace: String?,
        name: String,
        preconditions: KubeEmulatorDeletePreconditions = KubeEmulatorDeletePreconditions()
    ) throws -> (object: KubeEmulatorJSON, outcome: KubeEmulatorWriteOutcome) {
        let id = KubeEmulatorObjectID(namespace: namespace ?? "", name: name)
        let historyLimit = self.configuration.watchHistoryLimit
        return try self.state.withLock { state in
            guard let existing = state.objects[type.key]?[id] else {
                throw KubeEmulatorFailure(response: .notFound(type, name: name))
            }
            try Self.check(preconditions, existing: existing, type: type, namespace: namespace, name: name)
            if !existing.finalizers.isEmpty {
                if existing.isBeingDeleted { return (existing, .unchanged) }
                var marked = existing
                marked.setMetadata("deletionTimestamp", .string(Self.now()))
                marked.setMetadata("deletionGracePeriodSeconds", .integer(0))
                if type.key == ResourceType.namespacesKey {
                    var status = marked["status"]?.objectValue ?? [:]
                    status["phase"] = "Terminating"
                    marked["status"] = .object(status)
                }
                if preconditions.dryRun { return (marked, .modified) }
                let stored = state.store(marked, typeKey: type.key, id: id, eventType: "MODIFIED", historyLimit: historyLimit)
                return (stored, .modified)
            }
            if preconditions.dryRun { return (existing, .removed) }
            self.removeNamespaceContents(type, name: name, state: &state)
            let removed = state.store(nil, last: existing, typeKey: type.key, id: id, eventType: "DELETED",
                                      historyLimit: historyLimit)
            return (removed, .removed)
        }
    }

    /// When a Namespace is removed: removes every object stored in it, each with a `DELETED` event.
    func removeNamespaceContents(_ type: ResourceType, name: String, state: inout KubeEmulatorState) {
        guard type.key == ResourceType.namespacesKey else { return }
        for contentType in self.resourceTypes where contentType.namespaced && contentType.isStored {
            for (id, last) in state.objects(typeKey: contentType.key, namespace: name) {
                _ = state.store(nil, last: last, typeKey: contentType.key, id: id, eventType: "DELETED",
                                historyLimit: self.configuration.watchHistoryLimit)
            }
        }
    }

    /// `preconditions` and `dryRun` from a `DeleteOptions` body (none for an empty body) and the query; 422
    /// `DeleteOptions.meta.k8s.io "" is invalid` for a `dryRun` other than `All`.
    private static func deletePreconditions(_ request: KubeEmulatorRequest) throws -> KubeEmulatorDeletePreconditions {
        var options: KubeEmulatorJSON = [:]
        if request.body.readableBytes > 0 {
            guard let parsed = try? KubeEmulatorJSON.parse(request.body), parsed.objectValue != nil else {
                throw KubeEmulatorFailure(response: .badRequest("the DeleteOptions body is not a JSON object"))
            }
            options = parsed
        }
        let dryRun = (options["dryRun"]?.arrayValue ?? []).map { $0.stringValue ?? "" } + request.queryValues("dryRun")
        if dryRun.contains(where: { $0 != "All" }) {
            let printed = "[]string{" + dryRun.map(Self.goQuoted).joined(separator: ", ") + "}"
            throw KubeEmulatorFailure(response: .invalid(
                kind: "DeleteOptions", group: "meta.k8s.io", name: "", field: "dryRun", errorType: "Unsupported value",
                causeReason: "FieldValueNotSupported", detail: "\(printed): supported values: \"All\""))
        }
        let preconditions = options["preconditions"]
        return KubeEmulatorDeletePreconditions(
            uid: preconditions?["uid"]?.stringValue,
            resourceVersion: preconditions?["resourceVersion"]?.stringValue,
            dryRun: !dryRun.isEmpty)
    }

    /// 409 Conflict, worded as the API server's storage layer does, when a precondition does not hold.
    private static func check(
        _ preconditions: KubeEmulatorDeletePreconditions,
        existing: KubeEmulatorJSON,
        type: ResourceType,
        namespace: String?,
        name: String
    ) throws {
        var failure: String?
        let uid = existing.metadataString("uid") ?? ""
        let version = existing.metadataString("resourceVersion") ?? ""
        if let expected = preconditions.uid, expected != uid {
            failure = "Precondition failed: UID in precondition: \(expected), UID in object meta: \(uid)"
        } else if let expected = preconditions.resourceVersion, expected != version {
            failure = "Precondition failed: ResourceVersion in precondition: \(expected), ResourceVersion in object meta: \(version)"
        }
        guard let failure else { return }
        let key = "/registry/\(type.resource)/" + (namespace.map { "\($0)/" } ?? "") + name
        throw KubeEmulatorFailure(response: .conflict(
            type, name: name,
            "StorageError: invalid object, Code: 4, Key: \(key), ResourceVersion: 0, AdditionalErrorMsg: \(failure)"))
    }
}
