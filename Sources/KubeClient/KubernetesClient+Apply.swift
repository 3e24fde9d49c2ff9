public import KubeModels
import NIOCore
import NIOHTTP1

extension KubernetesClient {
    /// Server-side apply (`PATCH`, `application/apply-patch+yaml`): makes the fields `object` sets owned by
    /// `fieldManager` and equal to `object`, creating the object if it does not exist.
    ///
    /// The object is sent as JSON (valid YAML). With `force` the apply takes over fields other managers own
    /// instead of failing with a conflict. The object's `apiVersion`, `kind` and `metadata.name` must be set.
    public func apply<Object: Codable & Sendable>(
        _ object: Object,
        _ resource: KubeResource,
        namespace: String? = nil,
        name: String,
        fieldManager: String,
        force: Bool = true
    ) async throws -> Object {
        try await self.perform(.apply(object, resource, namespace: namespace, name: name, fieldManager: fieldManager, force: force),
                               returning: Object.self)
    }

    /// Replaces the `status` subresource of an object (`PUT .../status`). A `metadata.resourceVersion` in
    /// `object` makes it conditional.
    public func updateStatus<Object: Codable & Sendable>(
        _ object: Object,
        _ resource: KubeResource,
        namespace: String? = nil,
        name: String
    ) async throws -> Object {
        try await self.perform(.update(object, resource, namespace: namespace, name: name, subresource: "status"),
                               returning: Object.self)
    }

    /// Deletes an object only if it is still the version (and object) the caller saw.
    ///
    /// - Parameters:
    ///   - resourceVersion: Fail with a conflict if the stored object has another version.
    ///   - uid: Fail with a conflict if the stored object is another object of the same name.
    public func delete(
        _ resource: KubeResource,
        namespace: String? = nil,
        name: String,
        preconditions resourceVersion: String?,
        uid: String? = nil
    ) async throws {
        try await self.perform(.delete(resource, namespace: namespace, name: name, resourceVersion: resourceVersion, uid: uid))
    }
}

/// The body of a conditional delete.
struct KubeDeleteOptions: Encodable {
    struct Preconditions: Encodable {
        var resourceVersion: String?
        var uid: String?
    }

    var apiVersion = "v1"
    var kind = "DeleteOptions"
    var preconditions: Preconditions
}

extension KubeAPIError {
    /// Whether trying the same call again later may succeed: 429, 5xx, a server timeout, or no answer at all.
    ///
    /// Conflicts are not counted: they need a fresh read before the retry (see
    /// ``KubernetesClient/retryingOnConflict(attempts:_:)``).
    public var isRetryable: Bool {
        self.code == 429 || self.code >= 500 || self.reason == "ServerTimeout" || self.reason == "Timeout"
    }
}

extension KubernetesClient {
    /// Runs `body` again (at most `attempts` times) while it fails with a ``KubeAPIError/isConflict`` error:
    /// `body` reads the current object, changes it and writes it with its `resourceVersion`.
    public func retryingOnConflict<Result: Sendable>(
        attempts: Int = 5,
        _ body: () async throws -> Result
    ) async throws -> Result {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as KubeAPIError where error.isConflict && attempt < attempts {
                attempt += 1
            }
        }
    }
}
