import Foundation
import NIOCore

/// Where a stored object lives: namespace (empty for cluster-scoped) and name.
struct KubeDoubleObjectID: Hashable, Comparable, Sendable {
    var namespace: String
    var name: String

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}

/// One change, kept for watches that resume from a `resourceVersion`.
struct KubeDoubleEvent: Sendable {
    var resourceVersion: Int
    var typeKey: String
    var type: String
    var object: KubeDoubleJSON
}

/// Which events a watch wants.
struct KubeDoubleFilter: Sendable {
    var typeKey: String
    var namespace: String?
    var name: String?
    var labelSelector: [(key: String, value: String?, equal: Bool)] = []

    func matches(typeKey: String, object: KubeDoubleJSON) -> Bool {
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
struct KubeDoubleWatcher: Sendable {
    var filter: KubeDoubleFilter
    var writer: KubeDoubleStreamWriter
}

/// An open `log?follow=true` stream.
struct KubeDoubleLogFollower: Sendable {
    var key: String
    var writer: KubeDoubleStreamWriter
}

/// Everything the double remembers, guarded by one lock.
struct KubeDoubleState: Sendable {
    var objects: [String: [KubeDoubleObjectID: KubeDoubleJSON]] = [:]
    var resourceVersion = 100
    var history: [KubeDoubleEvent] = []
    /// Events up to and including this version were dropped from ``history``.
    var compactedThrough = 0
    var watchers: [Int: KubeDoubleWatcher] = [:]
    var logs: [String: [String]] = [:]
    var logFollowers: [Int: KubeDoubleLogFollower] = [:]
    var nextStreamID = 1
    var requests: [KubeRecordedRequest] = []
    var authorization: KubeAPIServerDouble.Authorization
    var responseDelay: TimeAmount
    /// Failures still to be injected, oldest rule first.
    var injectedFailures: [KubeDoubleInjectedFailure] = []
    var nextInjectedFailureID = 1

    init(authorization: KubeAPIServerDouble.Authorization, responseDelay: TimeAmount) {
        self.authorization = authorization
        self.responseDelay = responseDelay
    }

    /// Stores `object` (or, for `nil`, removes the object, whose `last` state is reported) at a new resource
    /// version and publishes the event. Returns the object as stored or, for a removal, its last state.
    mutating func store(
        _ object: KubeDoubleJSON?,
        last: KubeDoubleJSON? = nil,
        typeKey: String,
        id: KubeDoubleObjectID,
        eventType: String,
        historyLimit: Int
    ) -> KubeDoubleJSON {
        self.resourceVersion += 1
        var result = object ?? last ?? [:]
        result.setMetadata("resourceVersion", .string(String(self.resourceVersion)))
        result.setMetadata("managedFields", nil)
        if object == nil {
            self.objects[typeKey]?[id] = nil
        } else {
            self.objects[typeKey, default: [:]][id] = result
        }
        self.publish(typeKey: typeKey, type: eventType, object: result, historyLimit: historyLimit)
        return result
    }

    /// Records an event, trims history and hands the event line to every matching watch.
    mutating func publish(typeKey: String, type: String, object: KubeDoubleJSON, historyLimit: Int) {
        let event = KubeDoubleEvent(resourceVersion: self.resourceVersion, typeKey: typeKey, type: type, object: object)
        self.history.append(event)
        if self.history.count > historyLimit {
            let dropped = self.history.count - historyLimit
            self.compactedThrough = self.history[dropped - 1].resourceVersion
            self.history.removeFirst(dropped)
        }
        let line = KubeDoubleState.eventLine(type: type, object: object)
        for watcher in self.watchers.values where watcher.filter.matches(typeKey: typeKey, object: object) {
            watcher.writer.write(line)
        }
    }

    static func eventLine(type: String, object: KubeDoubleJSON) -> ByteBuffer {
        var buffer = KubeDoubleJSON.object(["type": .string(type), "object": object]).buffer
        buffer.writeString("\n")
        return buffer
    }
}
