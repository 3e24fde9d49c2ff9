public import KubeModels
public import NIOCore
public import NIOHTTP1

/// One write to the API server, built but not sent: method, path, query and body.
///
/// The typed write methods of ``KubernetesClient`` (``KubernetesClient/create(_:_:namespace:)``,
/// ``KubernetesClient/apply(_:_:namespace:name:fieldManager:force:)``, ...) send one of these and decode the
/// object the server returns. A controller that learns the result from its watch sends it with
/// ``KubernetesClient/perform(_:)``, which reads the response and drops it without decoding: on a large cluster
/// that is most of the controller's parsing.
public struct KubeWrite: Sendable {
    /// The HTTP method.
    public var method: HTTPMethod
    /// The API path.
    public var path: String
    /// The query items (not yet encoded).
    public var query: [(String, String)]
    /// The encoded body.
    public var body: ByteBuffer?
    /// The body's content type.
    public var contentType: String

    /// Creates an object (`POST` to the collection).
    public static func create(_ object: some Encodable, _ resource: KubeResource, namespace: String? = nil) throws -> KubeWrite {
        KubeWrite(method: .POST, path: try resource.path(namespace: namespace), query: [],
                  body: try KubernetesClient.encode(object), contentType: "application/json")
    }

    /// Replaces an object (`PUT`); a `metadata.resourceVersion` in `object` makes it conditional.
    public static func update(
        _ object: some Encodable, _ resource: KubeResource, namespace: String? = nil, name: String, subresource: String? = nil
    ) throws -> KubeWrite {
        KubeWrite(method: .PUT, path: try resource.path(namespace: namespace, name: name, subresource: subresource), query: [],
                  body: try KubernetesClient.encode(object), contentType: "application/json")
    }

    /// An RFC 7386 JSON merge patch (`application/merge-patch+json`).
    public static func mergePatch(
        _ patch: some Encodable, _ resource: KubeResource, namespace: String? = nil, name: String, subresource: String? = nil
    ) throws -> KubeWrite {
        KubeWrite(method: .PATCH, path: try resource.path(namespace: namespace, name: name, subresource: subresource), query: [],
                  body: try KubernetesClient.encode(patch), contentType: "application/merge-patch+json")
    }

    /// Server-side apply (`application/apply-patch+yaml`, the body as JSON kube-apiserver's YAML reader accepts);
    /// `subresource` applies to e.g. `status` (which must exist: applying to a subresource creates nothing).
    public static func apply(
        _ object: some Encodable, _ resource: KubeResource, namespace: String? = nil, name: String, subresource: String? = nil,
        fieldManager: String, force: Bool = true
    ) throws -> KubeWrite {
        var query = [("fieldManager", fieldManager)]
        if force { query.append(("force", "true")) }
        return KubeWrite(method: .PATCH, path: try resource.path(namespace: namespace, name: name, subresource: subresource),
                         query: query,
                         body: try KubernetesClient.encode(object), contentType: "application/apply-patch+yaml")
    }

    /// Deletes an object; with `resourceVersion` or `uid`, only if it is still that version or object.
    public static func delete(
        _ resource: KubeResource, namespace: String? = nil, name: String, resourceVersion: String? = nil, uid: String? = nil
    ) throws -> KubeWrite {
        let body = resourceVersion == nil && uid == nil
            ? nil : try KubernetesClient.encode(KubeDeleteOptions(preconditions: .init(resourceVersion: resourceVersion, uid: uid)))
        return KubeWrite(method: .DELETE, path: try resource.path(namespace: namespace, name: name), query: [], body: body,
                         contentType: "application/json")
    }
}

extension KubernetesClient {
    /// Sends a write and drops the response without decoding it; a non-2xx answer throws ``KubeAPIError``.
    public func perform(_ write: KubeWrite) async throws {
        _ = try await self.send(method: write.method, path: write.path, query: write.query, body: write.body,
                                contentType: write.contentType)
    }

    /// Sends a write and decodes the object the server returns.
    func perform<Object: Decodable>(_ write: KubeWrite, returning type: Object.Type) async throws -> Object {
        try await self.decode(type, from: self.send(method: write.method, path: write.path, query: write.query, body: write.body,
                                              contentType: write.contentType))
    }
}
