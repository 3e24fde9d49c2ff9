import Synchronization
public import Foundation
import NIOCore
import NIOHTTP1

extension KubeAPIEmulator {
    /// Creates or replaces an object directly, notifying watches with `ADDED` or `MODIFIED`. Returns the stored
    /// object's JSON. This bypasses the API rules (it always bumps the version; no status, finalizer or namespace
    /// checks); ``mergePatchObject(resource:group:namespace:name:subresource:patch:)`` acts as a client would.
    ///
    /// - Parameters:
    ///   - object: Any `Encodable` with at least `metadata.name` (e.g. a `JSONValue`, or your own struct).
    ///   - resource: The plural resource, e.g. `configmaps`.
    ///   - group: The API group; empty for core.
    ///   - namespace: The namespace for namespaced resources (else taken from `metadata.namespace`).
    @discardableResult
    public func upsert(
        _ object: some Encodable,
        resource: String,
        group: String = "",
        namespace: String? = nil
    ) throws -> Data {
        let type = try self.storedType(resource: resource, group: group)
        var json = try KubeEmulatorJSON.from(object)
        guard let name = json.metadataString("name"), !name.isEmpty else {
            throw KubeEmulatorTestHookError(message: "the object has no metadata.name")
        }
        let namespace = type.namespaced ? (namespace ?? json.metadataString("namespace") ?? "default") : nil
        json.setMetadata("resourceVersion", nil)
        let stored = try self.commit(type, namespace: namespace, name: name) { existing in
            guard let existing else {
                return (self.prepareNew(json, type: type, namespace: namespace, name: name), "ADDED")
            }
            var replaced = json
            for key in ["uid", "creationTimestamp", "namespace"] {
                replaced.setMetadata(key, existing["metadata"]?[key])
            }
            replaced["kind"] = existing["kind"]
            replaced["apiVersion"] = existing["apiVersion"]
            return (replaced, "MODIFIED")
        }
        return stored.data
    }

    /// Deletes an object directly, notifying watches with `DELETED`, regardless of finalizers. Returns whether it
    /// existed. ``deleteObject(resource:group:namespace:name:)`` acts as a client's `DELETE` would.
    @discardableResult
    public func removeObject(resource: String, group: String = "", namespace: String? = nil, name: String) -> Bool {
        guard let type = try? self.storedType(resource: resource, group: group) else { return false }
        let removed = try? self.commit(type, namespace: type.namespaced ? namespace ?? "default" : nil, name: name) { existing in
            guard existing != nil else { throw KubeEmulatorTestHookError(message: "not found") }
            return (nil, "DELETED")
        }
        return removed != nil
    }

    /// Applies an RFC 7386 JSON merge patch to a stored object as another client's `PATCH` would, with the same
    /// rules: a patch that changes nothing keeps the resource version and sends no event; no new finalizers
    /// while the object is being deleted; clearing the finalizers of an object being deleted removes it
    /// (`DELETED`); for types with the `status` subresource the main resource keeps its `status` and
    /// `subresource: "status"` changes only `status`. Watches are notified. Returns the object as stored (after a
    /// removal: its last state).
    ///
    /// - Parameters:
    ///   - namespace: The namespace of a namespaced object (default `default`).
    ///   - patch: The merge patch, a JSON object.
    /// - Throws: ``KubeEmulatorTestHookError`` with the API server's code, reason and message (e.g. 404, 409, 422).
    @discardableResult
    public func mergePatchObject(
        resource: String,
        group: String = "",
        namespace: String? = nil,
        name: String,
        subresource: String? = nil,
        patch: Data
    ) throws -> Data {
        let type = try self.storedType(resource: resource, group: group)
        guard let patchJSON = try? KubeEmulatorJSON.parse(ByteBuffer(bytes: patch)), patchJSON.objectValue != nil else {
            throw KubeEmulatorTestHookError(message: "the merge patch is not a JSON object")
        }
        if let subresource, subresource != "status" || !type.subresources.contains("status") {
            throw KubeEmulatorTestHookError(message: "\(resource) has no subresource \(subresource)", code: 404, reason: "NotFound")
        }
        return try KubeEmulatorTestHookError.rethrowing {
            try self.mergePatch(type, namespace: type.namespaced ? namespace ?? "default" : nil, name: name,
                                subresource: subresource, patch: patchJSON).data
        }
    }

    /// Deletes an object as another client's `DELETE` would: with finalizers it only gets a
    /// `deletionTimestamp` (once; `MODIFIED`) and stays until they are cleared; without, it is removed
    /// (`DELETED`; a Namespace takes every object in it along). Compare ``removeObject(resource:group:namespace:name:)``,
    /// which removes at once regardless of finalizers.
    ///
    /// - Throws: ``KubeEmulatorTestHookError`` with code 404 when there is no such object.
    public func deleteObject(resource: String, group: String = "", namespace: String? = nil, name: String) throws {
        let type = try self.storedType(resource: resource, group: group)
        try KubeEmulatorTestHookError.rethrowing {
            _ = try self.deleteStored(type, namespace: type.namespaced ? namespace ?? "default" : nil, name: name)
        }
    }

    /// The stored object's JSON, or `nil`.
    public func object(resource: String, group: String = "", namespace: String? = nil, name: String) -> Data? {
        guard let type = try? self.storedType(resource: resource, group: group) else { return nil }
        let id = KubeEmulatorObjectID(namespace: type.namespaced ? namespace ?? "default" : "", name: name)
        return self.state.withLock { $0.objects[type.key]?[id] }?.data
    }

    /// The names of the stored objects of a resource (in `namespace` if given), sorted.
    public func objectNames(resource: String, group: String = "", namespace: String? = nil) -> [String] {
        guard let type = try? self.storedType(resource: resource, group: group) else { return [] }
        return self.state.withLock { state in
            state.objects(typeKey: type.key, namespace: namespace).map(\.id.name)
        }
    }

    /// The current resource version of the store (what a list would report).
    public var currentResourceVersion: String { self.state.withLock { String($0.resourceVersion) } }

    /// Forgets the watch history: watches resuming from any earlier version get 410 Gone.
    public func compactWatchHistory() {
        self.state.withLock { $0.compactHistory() }
    }

    /// Appends a line to a pod's log; followers (`log?follow=true`) receive it at once.
    public func appendLog(namespace: String = "default", pod: String, line: String) {
        let key = "\(namespace)/\(pod)"
        self.state.withLock { state in
            state.logs[key, default: []].append(line)
            for follower in state.logFollowers.values where follower.key == key {
                follower.writer.write(ByteBuffer(string: line + "\n"))
            }
        }
    }

    /// Ends every open watch stream (clients see the stream end, as after `timeoutSeconds`).
    public func endAllWatches() {
        let writers = self.state.withLock { $0.watchers.values.map(\.writer) }
        for writer in writers { writer.end() }
    }

    private func storedType(resource: String, group: String) throws -> ResourceType {
        guard let type = self.resourceTypes.first(where: { $0.resource == resource && $0.group == group && $0.isStored }) else {
            throw KubeEmulatorTestHookError(message: "unknown resource \(resource) in group \"\(group)\"")
        }
        return type
    }

    /// What a new cluster has: the namespaces `default`, `kube-system` and `kube-public`, and the bootstrap
    /// ClusterRoles users are bound to (`cluster-admin`; `admin`, `edit` and `view` with their aggregation rules,
    /// and no aggregated rules since the double runs no aggregation controller); with ``Authorization/rbac``
    /// every ``BootstrapPolicy`` ClusterRole and ClusterRoleBinding (aggregation is resolved by the policy).
    func seed() {
        for name in ["default", "kube-system", "kube-public"] {
            _ = try? self.upsert(KubeEmulatorJSON.object(["metadata": ["name": .string(name)]]), resource: "namespaces")
        }
        let bootstrap: KubeEmulatorJSON = [
            "labels": ["kubernetes.io/bootstrapping": "rbac-defaults"],
            "annotations": ["rbac.authorization.kubernetes.io/autoupdate": "true"],
        ]
        func role(_ name: String, _ body: [String: KubeEmulatorJSON]) -> KubeEmulatorJSON {
            var metadata = bootstrap
            metadata["name"] = .string(name)
            var object = KubeEmulatorJSON.object(body)
            object["metadata"] = metadata
            return object
        }
        let roles = [
            role("cluster-admin", ["rules": [
                ["apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]], ["nonResourceURLs": ["*"], "verbs": ["*"]],
            ]]),
        ] + ["admin", "edit", "view"].map { name in
            role(name, ["aggregationRule": ["clusterRoleSelectors": [
                ["matchLabels": .object(["rbac.authorization.k8s.io/aggregate-to-\(name)": "true"])],
            ]]])
        }
        for object in roles {
            _ = try? self.upsert(object, resource: "clusterroles", group: "rbac.authorization.k8s.io")
        }
        guard self.configuration.authorization.isRBAC else { return }
        // With RBAC, every bootstrap ClusterRole and ClusterRoleBinding, as kube-apiserver creates them at start.
        for role in BootstrapPolicy.clusterRoles {
            _ = try? self.upsert(role, resource: "clusterroles", group: Self.rbacGroup)
        }
        for binding in BootstrapPolicy.clusterRoleBindings {
            _ = try? self.upsert(binding, resource: "clusterrolebindings", group: Self.rbacGroup)
        }
    }
}

/// A misuse of a ``KubeAPIEmulator`` test hook, or the API server's refusal of a hook's write.
public struct KubeEmulatorTestHookError: Error, CustomStringConvertible {
    /// What was wrong (for a refusal: the `Status` message).
    public let message: String
    /// For a refusal: the HTTP status code the API server would have answered, e.g. 409.
    public var code: Int? = nil
    /// For a refusal: the `Status` reason, e.g. `Conflict`.
    public var reason: String? = nil
    /// The message.
    public var description: String { self.message }

    /// Runs `body`, turning a refusal into a test hook error.
    static func rethrowing<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let failure as KubeEmulatorFailure {
            guard case .full(let status, _, let bytes) = failure.response,
                  let object = try? KubeEmulatorJSON.parse(bytes) else {
                throw KubeEmulatorTestHookError(message: "refused", code: nil, reason: nil)
            }
            throw KubeEmulatorTestHookError(
                message: object["message"]?.stringValue ?? "refused", code: Int(status.code),
                reason: object["reason"]?.stringValue)
        }
    }
}
