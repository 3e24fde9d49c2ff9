import Foundation
import KubeClient
import Logging
import NIOCore
import Synchronization

/// The key of a cached object: namespace (empty for cluster-scoped objects) and name.
public struct ObjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The namespace, empty for cluster-scoped objects.
    public var namespace: String
    /// The name.
    public var name: String

    /// Creates a key.
    public init(namespace: String = "", name: String) {
        self.namespace = namespace
        self.name = name
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name) }

    /// `namespace/name`, or `name`.
    public var description: String { self.namespace.isEmpty ? self.name : "\(self.namespace)/\(self.name)" }
}

/// Keeps an up-to-date copy of one kind of object: lists, then watches from the list's version, resumes a watch
/// that ends from the last version it saw, lists again when that version is gone (410), and backs off on errors.
///
/// Objects are kept as ``JSONValue`` so that an object the typed models cannot read (a hand-written project with
/// a wrong field type) is reported as a problem of that object instead of breaking the watch.
final class ObjectInformer: Sendable {
    /// What to watch.
    struct Target: Sendable {
        var resource: KubeResource
        var namespace: String?
        var labelSelector: String?
    }

    let target: Target
    private let state = Mutex<State>(State())

    private struct State {
        var objects: [ObjectKey: JSONValue] = [:]
        var synced = false
    }

    init(_ target: Target) {
        self.target = target
    }

    /// The objects as last seen.
    var objects: [ObjectKey: JSONValue] { self.state.withLock { $0.objects } }

    /// Whether the first list has completed (the cache is complete).
    var isSynced: Bool { self.state.withLock { $0.synced } }

    /// Lists and watches until the task is cancelled; calls `changed` after every change of the cache.
    func run(client: KubernetesClient, configuration: ControllerConfiguration, metrics: ControllerMetrics,
             logger: Logger, changed: @escaping @Sendable () -> Void) async {
        var backoff = configuration.backoff
        let resource = self.target.resource.description
        while !Task.isCancelled {
            do {
                let list = try await client.list(
                    JSONValue.self, self.target.resource, namespace: self.target.namespace,
                    options: KubeListOptions(labelSelector: self.target.labelSelector))
                var objects: [ObjectKey: JSONValue] = [:]
                for item in list.items { if let key = Self.key(item) { objects[key] = item } }
                self.state.withLock { $0.objects = objects; $0.synced = true }
                changed()
                var version = list.metadata.resourceVersion
                backoff.reset()
                while !Task.isCancelled {
                    let stream = try await client.watch(
                        JSONValue.self, self.target.resource, namespace: self.target.namespace,
                        options: KubeListOptions(labelSelector: self.target.labelSelector, resourceVersion: version),
                        timeout: .seconds(configuration.watchTimeoutSeconds))
                    for try await event in stream {
                        let object = event.object
                        if let objectVersion = object["metadata"]?["resourceVersion"]?.stringValue { version = objectVersion }
                        guard event.type != .bookmark, let key = Self.key(object) else { continue }
                        self.state.withLock { state in
                            if event.type == .deleted { state.objects[key] = nil } else { state.objects[key] = object }
                        }
                        changed()
                    }
                    // The server ended the watch (its timeout): resume from the last version seen.
                }
            } catch is CancellationError {
                return
            } catch let error as KubeAPIError where error.isNotFound {
                // The resource is not served (its CRD is not installed): nothing exists. Look again later.
                let first = self.state.withLock { state -> Bool in
                    defer { state.objects = [:]; state.synced = true }
                    return !state.synced || !state.objects.isEmpty
                }
                if first {
                    logger.warning("resource not served; treating it as empty", metadata: ["resource": "\(resource)"])
                    changed()
                }
                try? await Task.sleep(for: backoff.next())
            } catch let error as KubeAPIError where error.isGone {
                // The version is too old: list again at once.
                metrics.recordWatchRestart(resource: resource, reason: "gone")
                logger.debug("watch version expired; listing again", metadata: ["resource": "\(resource)"])
            } catch {
                if Task.isCancelled { return }
                metrics.recordWatchRestart(resource: resource, reason: "error")
                let delay = backoff.next()
                logger.warning("watch failed; retrying", metadata: [
                    "resource": "\(resource)", "error": "\(error)", "retry_in": "\(delay)"])
                try? await Task.sleep(for: delay)
            }
        }
    }

    static func key(_ object: JSONValue) -> ObjectKey? {
        guard let name = object["metadata"]?["name"]?.stringValue else { return nil }
        return ObjectKey(namespace: object["metadata"]?["namespace"]?.stringValue ?? "", name: name)
    }
}

extension JSONValue {
    /// Decodes this value into a typed model.
    func decoded<T: Decodable>(as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(self))
    }
}
