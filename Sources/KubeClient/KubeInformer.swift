public import Logging
import NIOCore
import Synchronization

/// Keeps an up-to-date copy of one kind of object: lists (in pages), then watches from the list's version,
/// resumes a watch that ends from the last version it saw, lists again when that version is gone (410), treats a
/// resource the server does not serve (404: its CRD is not installed) as empty, and backs off on errors.
///
/// A watch the server ends at once without an event (something in between closing it, say) is resumed only after
/// a backoff, so that a misbehaving server or proxy is never asked in a tight loop.
///
/// ```swift
/// let informer = KubeInformer<ClusterRole>(.init(resource: ClusterRole.resource))
/// Task { await informer.run(client: client, timing: KubeInformerTiming(), logger: logger) { print("changed") } }
/// informer.isSynced; informer.objects
/// ```
public final class KubeInformer<Object: KubeInformedObject>: Sendable {
    /// What to watch.
    public struct Target: Sendable {
        /// The resource.
        public var resource: KubeResource
        /// One namespace, or all (and cluster-scoped resources) when `nil`.
        public var namespace: String?
        /// Only objects with these labels.
        public var labelSelector: String?

        /// Creates a target.
        public init(resource: KubeResource, namespace: String? = nil, labelSelector: String? = nil) {
            self.resource = resource
            self.namespace = namespace
            self.labelSelector = labelSelector
        }
    }

    /// Why a watch was started again from a new list: `gone` (its version was compacted) or `error`.
    public enum Restart: String, Sendable {
        case gone
        case error
    }

    /// What is watched.
    public let target: Target
    private let state = Mutex<State>(State())

    private struct State {
        var objects: [ObjectKey: Object] = [:]
        var synced = false
    }

    /// Creates an informer; nothing happens until ``run(client:timing:logger:restarted:changed:)``.
    public init(_ target: Target) {
        self.target = target
    }

    /// The objects as last seen.
    public var objects: [ObjectKey: Object] { self.state.withLock { $0.objects } }

    /// Whether the first list has completed (the copy is complete).
    public var isSynced: Bool { self.state.withLock { $0.synced } }

    /// Lists and watches until the task is cancelled; calls `changed` after every change of the copy, and
    /// `restarted` when a watch has to start again from a new list.
    public func run(client: KubernetesClient, timing: KubeInformerTiming, logger: Logger,
                    restarted: @escaping @Sendable (Restart) -> Void = { _ in },
                    changed: @escaping @Sendable () -> Void) async {
        var backoff = timing.backoff
        let metadata: Logger.Metadata = [
            "resource": "\(self.target.resource)", "namespace": "\(self.target.namespace ?? "")",
        ]
        while !Task.isCancelled {
            do {
                var version = try await self.list(client: client, pageSize: timing.pageSize)
                changed()
                backoff.reset()
                while !Task.isCancelled {
                    let started = ContinuousClock.now
                    var delivered = false
                    let stream = try await client.watch(
                        Object.self, self.target.resource, namespace: self.target.namespace,
                        options: KubeListOptions(labelSelector: self.target.labelSelector, resourceVersion: version),
                        timeout: .seconds(timing.watchTimeoutSeconds))
                    for try await event in stream {
                        delivered = true
                        let object = event.object
                        if let objectVersion = object.informedMetadata?.resourceVersion { version = objectVersion }
                        guard event.type != .bookmark, let key = object.cacheKey else { continue }
                        let trimmed = event.type == .deleted ? nil : object.trimmedForCache()
                        self.state.withLock { $0.objects[key] = trimmed }
                        changed()
                    }
                    // The server ended the watch (its timeout): resume from the last version seen, at once unless
                    // it ended at once and empty.
                    if delivered || ContinuousClock.now - started >= timing.shortestWatch {
                        backoff.reset()
                    } else {
                        let delay = backoff.next()
                        logger.debug("the watch ended at once; resuming after a pause", metadata: metadata.merging(["retry_in": "\(delay)"]) { $1 })
                        try await Task.sleep(for: delay)
                    }
                }
            } catch is CancellationError {
                return
            } catch let error as KubeAPIError where error.isGone {
                restarted(.gone)
                logger.debug("watch version expired; listing again", metadata: metadata)
            } catch let error as KubeAPIError where error.isNotFound {
                // The resource is not served (its CRD is not installed): nothing exists. Look again later.
                let first = self.state.withLock { state -> Bool in
                    defer { state.objects = [:]; state.synced = true }
                    return !state.synced || !state.objects.isEmpty
                }
                if first {
                    logger.warning("resource not served (is its CRD installed?); treating it as empty", metadata: metadata)
                    changed()
                }
                try? await Task.sleep(for: backoff.next())
            } catch {
                if Task.isCancelled { return }
                restarted(.error)
                let delay = backoff.next()
                logger.warning("listing or watching failed; retrying", metadata: metadata.merging([
                    "error": "\(error)", "retry_in": "\(delay)",
                ]) { $1 })
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// Lists every object (in pages, so that a large cluster's list is never one huge body in memory), replaces
    /// the copy with them, and returns the list's version.
    private func list(client: KubernetesClient, pageSize: Int) async throws -> String? {
        var objects: [ObjectKey: Object] = [:]
        var page = KubeListOptions(labelSelector: self.target.labelSelector, limit: pageSize)
        var version: String?
        repeat {
            let list = try await client.list(Object.self, self.target.resource, namespace: self.target.namespace, options: page)
            for item in list.items { if let key = item.cacheKey { objects[key] = item.trimmedForCache() } }
            version = list.metadata.resourceVersion
            page.continueToken = list.metadata.continue
        } while page.continueToken?.isEmpty == false
        self.state.withLock { $0.objects = objects; $0.synced = true }
        return version
    }
}
