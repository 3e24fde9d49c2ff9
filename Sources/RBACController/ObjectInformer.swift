import Foundation
import KubeClient
import Logging
import NIOCore
import Synchronization
import VerrazzanoRBAC

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

/// An object an ``ObjectInformer`` can cache: it has a key and a version, and knows what of it the planner never
/// reads.
protocol CachedObject: Decodable, Sendable {
    /// The object's metadata (name, namespace, version).
    var cachedMetadata: KubeObjectMeta? { get }
    /// The object without what the planner never reads (`managedFields`, annotations of managed objects,
    /// namespace specs): the cache holds every namespace and every binding of the cluster, so this is most of
    /// the controller's memory.
    func trimmedForCache() -> Self
}

extension CachedObject {
    /// `namespace/name` (namespace empty for cluster-scoped objects); `nil` without a name.
    var cacheKey: ObjectKey? {
        guard let name = self.cachedMetadata?.name else { return nil }
        return ObjectKey(namespace: self.cachedMetadata?.namespace ?? "", name: name)
    }
}

/// Keeps an up-to-date copy of one kind of object: lists (in pages), then watches from the list's version,
/// resumes a watch that ends from the last version it saw, lists again when that version is gone (410), and
/// backs off on errors.
///
/// Inputs people write (projects, `Verrazzano` resources) are kept as ``JSONValue`` so that an object the typed
/// models cannot read is reported as a problem of that object instead of breaking the watch; the objects the
/// controller manages, which the API server validates, are kept typed and trimmed (``CachedObject``).
final class ObjectInformer<Object: CachedObject>: Sendable {
    /// What to watch.
    struct Target: Sendable {
        var resource: KubeResource
        var namespace: String?
        var labelSelector: String?
    }

    let target: Target
    private let state = Mutex<State>(State())

    private struct State {
        var objects: [ObjectKey: Object] = [:]
        var synced = false
    }

    init(_ target: Target) {
        self.target = target
    }

    /// The objects as last seen.
    var objects: [ObjectKey: Object] { self.state.withLock { $0.objects } }

    /// Whether the first list has completed (the cache is complete).
    var isSynced: Bool { self.state.withLock { $0.synced } }

    /// Lists and watches until the task is cancelled; calls `changed` after every change of the cache.
    func run(client: KubernetesClient, configuration: ControllerConfiguration, metrics: ControllerMetrics,
             logger: Logger, changed: @escaping @Sendable () -> Void) async {
        var backoff = configuration.backoff
        let resource = self.target.resource.description
        while !Task.isCancelled {
            do {
                // In pages, so that a large cluster's list is never one huge body in memory.
                var objects: [ObjectKey: Object] = [:]
                var page = KubeListOptions(labelSelector: self.target.labelSelector, limit: Self.pageSize)
                var version: String?
                repeat {
                    let list = try await client.list(Object.self, self.target.resource, namespace: self.target.namespace,
                                                     options: page)
                    for item in list.items { if let key = item.cacheKey { objects[key] = item.trimmedForCache() } }
                    version = list.metadata.resourceVersion
                    page.continueToken = list.metadata.continue
                } while page.continueToken?.isEmpty == false
                self.state.withLock { $0.objects = objects; $0.synced = true }
                changed()
                backoff.reset()
                while !Task.isCancelled {
                    let stream = try await client.watch(
                        Object.self, self.target.resource, namespace: self.target.namespace,
                        options: KubeListOptions(labelSelector: self.target.labelSelector, resourceVersion: version),
                        timeout: .seconds(configuration.watchTimeoutSeconds))
                    for try await event in stream {
                        let object = event.object
                        if let objectVersion = object.cachedMetadata?.resourceVersion { version = objectVersion }
                        guard event.type != .bookmark, let key = object.cacheKey else { continue }
                        let trimmed = event.type == .deleted ? nil : object.trimmedForCache()
                        self.state.withLock { $0.objects[key] = trimmed }
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

    /// Objects per list page.
    static var pageSize: Int { 500 }
}

extension JSONValue: CachedObject {
    var cachedMetadata: KubeObjectMeta? {
        guard let name = self["metadata"]?["name"]?.stringValue else { return nil }
        var metadata = KubeObjectMeta(name: name, namespace: self["metadata"]?["namespace"]?.stringValue)
        metadata.resourceVersion = self["metadata"]?["resourceVersion"]?.stringValue
        return metadata
    }

    /// Without `metadata.managedFields`.
    func trimmedForCache() -> JSONValue {
        guard self["metadata"]?["managedFields"] != nil else { return self }
        var trimmed = self
        trimmed["metadata"]?["managedFields"] = nil
        return trimmed
    }
}

extension RoleBinding: CachedObject {
    var cachedMetadata: KubeObjectMeta? { self.metadata }
    func trimmedForCache() -> RoleBinding { var trimmed = self; trimmed.metadata.annotations = nil; return trimmed }
}

extension ClusterRoleBinding: CachedObject {
    var cachedMetadata: KubeObjectMeta? { self.metadata }
    func trimmedForCache() -> ClusterRoleBinding { var trimmed = self; trimmed.metadata.annotations = nil; return trimmed }
}

extension ClusterRole: CachedObject {
    var cachedMetadata: KubeObjectMeta? { self.metadata }
    func trimmedForCache() -> ClusterRole { var trimmed = self; trimmed.metadata.annotations = nil; return trimmed }
}

extension Namespace: CachedObject {
    var cachedMetadata: KubeObjectMeta? { self.metadata }
    /// Metadata only, without annotations: the planner reads a namespace's labels and deletion state.
    func trimmedForCache() -> Namespace {
        var trimmed = self
        trimmed.metadata.annotations = nil
        trimmed.spec = nil
        return trimmed
    }
}

extension JSONValue {
    /// Decodes this value into a typed model.
    func decoded<T: Decodable>(as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(self))
    }
}
