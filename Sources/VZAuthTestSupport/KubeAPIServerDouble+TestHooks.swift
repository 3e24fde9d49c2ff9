public import Foundation
import NIOCore

extension KubeAPIServerDouble {
    /// Creates or replaces an object directly (as another client would), notifying watches with `ADDED` or
    /// `MODIFIED`. Returns the stored object's JSON.
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
        var json = try KubeDoubleJSON.from(object)
        guard let name = json.metadataString("name"), !name.isEmpty else {
            throw KubeDoubleTestHookError(message: "the object has no metadata.name")
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

    /// Deletes an object directly, notifying watches with `DELETED`. Returns whether it existed.
    @discardableResult
    public func removeObject(resource: String, group: String = "", namespace: String? = nil, name: String) -> Bool {
        guard let type = try? self.storedType(resource: resource, group: group) else { return false }
        let removed = try? self.commit(type, namespace: type.namespaced ? namespace ?? "default" : nil, name: name) { existing in
            guard existing != nil else { throw KubeDoubleTestHookError(message: "not found") }
            return (nil, "DELETED")
        }
        return removed != nil
    }

    /// The stored object's JSON, or `nil`.
    public func object(resource: String, group: String = "", namespace: String? = nil, name: String) -> Data? {
        guard let type = try? self.storedType(resource: resource, group: group) else { return nil }
        let id = KubeDoubleObjectID(namespace: type.namespaced ? namespace ?? "default" : "", name: name)
        return self.state.withLock { $0.objects[type.key]?[id] }?.data
    }

    /// The names of the stored objects of a resource (in `namespace` if given), sorted.
    public func objectNames(resource: String, group: String = "", namespace: String? = nil) -> [String] {
        guard let type = try? self.storedType(resource: resource, group: group) else { return [] }
        return self.state.withLock { state in
            (state.objects[type.key] ?? [:]).keys
                .filter { namespace == nil || $0.namespace == namespace }
                .sorted()
                .map(\.name)
        }
    }

    /// The current resource version of the store (what a list would report).
    public var currentResourceVersion: String { self.state.withLock { String($0.resourceVersion) } }

    /// Forgets the watch history: watches resuming from any earlier version get 410 Gone.
    public func compactWatchHistory() {
        self.state.withLock { state in
            state.compactedThrough = state.resourceVersion
            state.history.removeAll()
        }
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
            throw KubeDoubleTestHookError(message: "unknown resource \(resource) in group \"\(group)\"")
        }
        return type
    }

    /// Seeds the namespaces every cluster has.
    func seed() {
        for name in ["default", "kube-system", "kube-public"] {
            _ = try? self.upsert(KubeDoubleJSON.object(["metadata": ["name": .string(name)]]), resource: "namespaces")
        }
    }
}

/// A misuse of a ``KubeAPIServerDouble`` test hook.
public struct KubeDoubleTestHookError: Error, CustomStringConvertible {
    /// What was wrong.
    public let message: String
    /// The message.
    public var description: String { self.message }
}
