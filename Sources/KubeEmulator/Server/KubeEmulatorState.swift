import Foundation
import NIOCore

/// Where a stored object lives: namespace (empty for cluster-scoped) and name.
struct KubeEmulatorObjectID: Hashable, Comparable, Sendable {
    var namespace: String
    var name: String

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}

/// One change, kept for watches that resume from a `resourceVersion`.
struct KubeEmulatorEvent: Sendable {
    var resourceVersion: Int
    var typeKey: String
    var type: String
    var object: KubeEmulatorJSON
}

/// Which events a watch wants.
struct KubeEmulatorFilter: Sendable {
    var typeKey: String
    var namespace: String?
    var name: String?
    var labelSelector: [(key: String, value: String?, equal: Bool)] = []

    func matches(typeKey: String, object: KubeEmulatorJSON) -> Bool {
        guard typeKey == self.typeKey else { return false }
        if let namespace, object.metadataString("namespace") != namespace { return false }
        if let name, object.metadataString("name") != name { return false }
        let labels = object.labels
        for requirement in self.labelSelector {
            let actual = labels[requirement.key]
            if let value = requirement.value {
                if (actual == value) != requirement.equal { return false }
            } else if (actual != nil) != requirement.equal {
                return false
            }
        }
        return true
    }

    /// Parses `key=value`, `key==value`, `key!=value`, `key` and `!key` terms separated by commas.
    static func parseLabelSelector(_ text: String?) -> [(key: String, value: String?, equal: Bool)] {
        guard let text, !text.isEmpty else { return [] }
        return text.split(separator: ",").map { term in
            let term = term.trimmingCharacters(in: .whitespaces)
            if let range = term.range(of: "!=") {
                return (String(term[..<range.lowerBound]), String(term[range.upperBound...]), false)
            }
            if let range = term.range(of: "==") ?? term.range(of: "=") {
                return (String(term[..<range.lowerBound]), String(term[range.upperBound...]), true)
            }
            if term.hasPrefix("!") { return (String(term.dropFirst()), nil, false) }
            return (term, nil, true)
        }
    }
}

/// An open watch.
struct KubeEmulatorWatcher: Sendable {
    var filter: KubeEmulatorFilter
    var writer: KubeEmulatorStreamWriter
}

/// An open `log?follow=true` stream.
struct KubeEmulatorLogFollower: Sendable {
    var key: String
    var writer: KubeEmulatorStreamWriter
}

/// Everything the double remembers, guarded by one lock.
///
/// Writes cost the same however many objects are stored: objects are found by type and id, a namespace's objects
/// through ``namespaceIndex``, and the watch history drops old events in bulk.
struct KubeEmulatorState: Sendable {
    /// The stored objects by type key and id. Changed only by ``store(_:last:typeKey:id:eventType:historyLimit:)``.
    private(set) var objects: [String: [KubeEmulatorObjectID: KubeEmulatorJSON]] = [:]
    /// The names of the stored objects of each type key in each namespace (`""` for cluster-scoped ones).
    private var namespaceIndex: [String: [String: Set<String>]] = [:]
    /// Who owns which fields of each stored object written through the API (dropped with the object).
    var fieldOwnership: [String: [KubeEmulatorObjectID: KubeEmulatorFieldOwnership]] = [:]
    var resourceVersion = 100
    /// Past events, oldest first, from ``historyStart`` on; the slots before it are dropped events whose room is
    /// reclaimed in bulk.
    private var history: [KubeEmulatorEvent] = []
    private var historyStart = 0
    /// Events up to and including this version were dropped from the history.
    private(set) var compactedThrough = 0
    var watchers: [Int: KubeEmulatorWatcher] = [:]
    var logs: [String: [String]] = [:]
    var logFollowers: [Int: KubeEmulatorLogFollower] = [:]
    var nextStreamID = 1
    /// Every request received, unless ``KubeAPIEmulator/Configuration/recordsRequests`` is off.
    var requests: [KubeRecordedRequest] = []
    var authorization: KubeAPIEmulator.Authorization
    /// The RBAC policy of the stored RBAC objects, built on demand; dropped whenever one of them changes.
    var rbacPolicy: RBACPolicy?
    var responseDelay: TimeAmount
    /// Failures still to be injected, oldest rule first.
    var injectedFailures: [KubeEmulatorInjectedFailure] = []
    var nextInjectedFailureID = 1
    /// The connections of held requests (injected faults that never finish), by id.
    var heldConnections: [Int: any Channel] = [:]
    /// How many held requests' connections the client closed.
    var closedHeldConnectionCount = 0

    init(authorization: KubeAPIEmulator.Authorization, responseDelay: TimeAmount) {
        self.authorization = authorization
        self.responseDelay = responseDelay
    }

    /// Stores `object` (or, for `nil`, removes the object, whose `last` state is reported) at a new resource
    /// version and publishes the event. Returns the object as stored or, for a removal, its last state.
    mutating func store(
        _ object: KubeEmulatorJSON?,
        last: KubeEmulatorJSON? = nil,
        typeKey: String,
        id: KubeEmulatorObjectID,
        eventType: String,
        historyLimit: Int
    ) -> KubeEmulatorJSON {
        self.resourceVersion += 1
        if typeKey.hasPrefix("rbac.authorization.k8s.io/") { self.rbacPolicy = nil }
        var result = object ?? last ?? [:]
        result.setMetadata("resourceVersion", .string(String(self.resourceVersion)))
        result.setMetadata("managedFields", nil)
        if object == nil {
            if self.objects[typeKey]?.removeValue(forKey: id) != nil {
                self.namespaceIndex[typeKey]?[id.namespace]?.remove(id.name)
                self.fieldOwnership[typeKey]?[id] = nil
            }
        } else {
            if self.objects[typeKey, default: [:]].updateValue(result, forKey: id) == nil {
                self.namespaceIndex[typeKey, default: [:]][id.namespace, default: []].insert(id.name)
            }
        }
        self.publish(typeKey: typeKey, type: eventType, object: result, historyLimit: historyLimit)
        return result
    }

    /// The stored objects of a type, in one namespace if given, sorted by id.
    func objects(typeKey: String, namespace: String?) -> [(id: KubeEmulatorObjectID, object: KubeEmulatorJSON)] {
        guard let stored = self.objects[typeKey] else { return [] }
        guard let namespace else {
            return stored.map { (id: $0.key, object: $0.value) }.sorted { $0.id < $1.id }
        }
        return (self.namespaceIndex[typeKey]?[namespace] ?? []).sorted().compactMap { name in
            let id = KubeEmulatorObjectID(namespace: namespace, name: name)
            return stored[id].map { (id: id, object: $0) }
        }
    }

    /// Records an event, drops history beyond `historyLimit` and hands the event line to every matching watch.
    mutating func publish(typeKey: String, type: String, object: KubeEmulatorJSON, historyLimit: Int) {
        let event = KubeEmulatorEvent(resourceVersion: self.resourceVersion, typeKey: typeKey, type: type, object: object)
        self.history.append(event)
        let remembered = self.history.count - self.historyStart
        if remembered > historyLimit {
            let dropped = remembered - historyLimit
            self.compactedThrough = self.history[self.historyStart + dropped - 1].resourceVersion
            self.historyStart += dropped
            if self.historyStart > 64, self.historyStart * 2 > self.history.count {
                self.history.removeFirst(self.historyStart)
                self.historyStart = 0
            }
        }
        var line: ByteBuffer?
        for watcher in self.watchers.values where watcher.filter.matches(typeKey: typeKey, object: object) {
            if line == nil { line = KubeEmulatorState.eventLine(type: type, object: object) }
            watcher.writer.write(line!)
        }
    }

    /// The remembered events after `version`, oldest first.
    func events(after version: Int) -> ArraySlice<KubeEmulatorEvent> {
        var low = self.historyStart
        var high = self.history.count
        while low < high {
            let middle = (low + high) / 2
            if self.history[middle].resourceVersion > version { high = middle } else { low = middle + 1 }
        }
        return self.history[low...]
    }

    /// Forgets every past event: watches resuming from any earlier version get 410 Gone.
    mutating func compactHistory() {
        self.compactedThrough = self.resourceVersion
        self.history.removeAll()
        self.historyStart = 0
    }

    /// `{"object":...,"type":"..."}` and a newline: one watch event (keys sorted, as everywhere).
    static func eventLine(type: String, object: KubeEmulatorJSON) -> ByteBuffer {
        var text = "{\"object\":"
        object.write(to: &text)
        text += ",\"type\":"
        KubeEmulatorJSON.string(type).write(to: &text)
        text += "}\n"
        return ByteBuffer(string: text)
    }
}
