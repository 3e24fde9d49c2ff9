import NIOCore
import KubeModels
import KubeClient
import Logging
import Synchronization

/// An object a ``ObjectMirror`` keeps: it has metadata (name and version).
protocol MirroredObject: Decodable, Sendable {
    var metadata: KubeObjectMeta { get }
}

extension VerrazzanoManagedCluster: MirroredObject {}
extension ClusterCASecret: MirroredObject {}

/// Keeps a current copy of the objects of one resource in one namespace: lists, watches from the list's version,
/// resumes a watch the server ended from the last version seen, lists again when that version is gone (410), treats
/// a resource that is not served (404: its CRD is not installed) as empty, and backs off on other errors.
///
/// The same loop as the RBAC controller's `ObjectInformer`, which a feature module cannot import; this one is
/// smaller (one namespace, no paging: a managed-cluster namespace holds few objects, no metrics).
final class ObjectMirror<Object: MirroredObject>: Sendable {
    let resource: KubeResource
    let namespace: String
    private let state = Mutex<State>(State())

    private struct State {
        var objects: [String: Object] = [:]
        var synced = false
    }

    init(resource: KubeResource, namespace: String) {
        self.resource = resource
        self.namespace = namespace
    }

    /// The objects as last seen, by name.
    var objects: [String: Object] { self.state.withLock { $0.objects } }

    /// Whether the first list has completed.
    var isSynced: Bool { self.state.withLock { $0.synced } }

    /// Lists and watches until the task is cancelled; calls `changed` after every change.
    func run(client: KubernetesClient, timing: ClusterWatcher.Timing, logger: Logger, changed: @Sendable () -> Void) async {
        var failures = 0
        let metadata: Logger.Metadata = ["resource": "\(self.resource)", "namespace": "\(self.namespace)"]
        while !Task.isCancelled {
            do {
                let list = try await client.list(Object.self, self.resource, namespace: self.namespace)
                var objects: [String: Object] = [:]
                for item in list.items { if let name = item.metadata.name { objects[name] = item } }
                self.state.withLock { $0.objects = objects; $0.synced = true }
                changed()
                failures = 0
                var version = list.metadata.resourceVersion
                while !Task.isCancelled {
                    let stream = try await client.watch(
                        Object.self, self.resource, namespace: self.namespace,
                        options: KubeListOptions(resourceVersion: version), timeout: .seconds(timing.watchTimeoutSeconds))
                    for try await event in stream {
                        if let objectVersion = event.object.metadata.resourceVersion { version = objectVersion }
                        guard event.type != .bookmark, let name = event.object.metadata.name else { continue }
                        let object = event.type == .deleted ? nil : event.object
                        self.state.withLock { $0.objects[name] = object }
                        changed()
                    }
                    // The server ended the watch (its timeout): resume from the last version seen.
                }
            } catch is CancellationError {
                return
            } catch let error as KubeAPIError where error.isGone {
                logger.debug("watch version expired; listing again", metadata: metadata)
            } catch let error as KubeAPIError where error.isNotFound {
                let changedNow = self.state.withLock { state -> Bool in
                    defer { state.objects = [:]; state.synced = true }
                    return !state.synced || !state.objects.isEmpty
                }
                if changedNow {
                    logger.warning("resource not served (is its CRD installed?); treating it as empty", metadata: metadata)
                    changed()
                }
                try? await Task.sleep(for: Self.backoff(failures, timing))
                failures += 1
            } catch {
                if Task.isCancelled { return }
                let delay = Self.backoff(failures, timing)
                failures += 1
                var details = metadata
                details["error"] = "\(error)"
                details["retry_in"] = "\(delay)"
                logger.warning("listing or watching failed; retrying", metadata: details)
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// `initial × 2^failures`, at most `maximum`.
    static func backoff(_ failures: Int, _ timing: ClusterWatcher.Timing) -> Duration {
        let delay = timing.initialBackoff * (1 << min(failures, 20))
        return min(delay, timing.maximumBackoff)
    }
}
