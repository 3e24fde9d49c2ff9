import AsyncHTTPClient
import Foundation
public import KubeModels
public import Logging
public import NIOCore
import NIOFoundationCompat
public import NIOHTTP1

/// A small typed Kubernetes API client on AsyncHTTPClient.
///
/// Objects are any `Codable` type (your own structs, or ``JSONValue`` for anything). Every call has a deadline,
/// response bodies are bounded, redirects are not followed and responses are not decompressed. Error responses
/// become ``KubeAPIError`` with the server's `Status` code, reason and message.
///
/// The client owns an `HTTPClient`: call ``shutdown()`` when done, or use ``withClient(connection:configuration:logger:_:)``.
///
/// ```swift
/// try await KubernetesClient.withClient(connection: connection) { client in
///     let map = try await client.get(JSONValue.self, .configMaps, namespace: "default", name: "settings")
/// }
/// ```
public final class KubernetesClient: Sendable {
    /// Limits and timeouts.
    public struct Configuration: Sendable {
        /// The deadline of each non-watch call, from start to the last body byte. Default 30 s.
        public var requestTimeout: TimeAmount = .seconds(30)
        /// The TCP/TLS connect timeout. Default 10 s.
        public var connectTimeout: TimeAmount = .seconds(10)
        /// The largest response body accepted by non-watch calls. Default 32 MiB.
        public var maximumResponseSize: Int = 32 * 1024 * 1024
        /// The largest single watch event line accepted. Default 16 MiB.
        public var maximumWatchEventSize: Int = 16 * 1024 * 1024
        /// Extra time a watch's deadline allows beyond the server-side `timeoutSeconds`. Default 30 s.
        public var watchDeadlineGrace: TimeAmount = .seconds(30)
        /// The `User-Agent` header.
        public var userAgent: String = "vzauth"
        /// How many connections to the API server the client keeps open at most (HTTP/1.1: one request at a time
        /// each; requests beyond wait for a free one). Every open watch holds one for its whole duration, so a
        /// client with W watches and N calls in flight needs W + N. Default 8.
        public var maximumConnections: Int = 8

        /// The defaults.
        public init() {}
    }

    /// Where requests go and how they authenticate.
    public let connection: KubeConnection
    /// Limits and timeouts.
    public let configuration: Configuration
    let httpClient: HTTPClient
    let logger: Logger
    private let urlHost: String

    /// Creates a client with its own `HTTPClient`. Call ``shutdown()`` before releasing it.
    public init(
        connection: KubeConnection,
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "vzauth.kube-client")
    ) {
        var httpConfiguration = HTTPClient.Configuration(
            tlsConfiguration: connection.tlsConfiguration,
            redirectConfiguration: .disallow,
            timeout: .init(connect: configuration.connectTimeout, read: nil),
            decompression: .disabled
        )
        httpConfiguration.httpVersion = .http1Only
        // Fail fast on TLS and connect errors; callers decide about retries.
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        httpConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, configuration.maximumConnections)
        var urlHost = connection.host.contains(":") ? "[\(connection.host)]" : connection.host
        if let serverName = connection.tlsServerName, connection.usesTLS {
            // Connect to `host` but send SNI for, and verify the certificate against, `tls-server-name`.
            httpConfiguration.dnsOverride = [serverName: connection.host]
            urlHost = serverName
        }
        self.connection = connection
        self.configuration = configuration
        self.logger = logger
        self.urlHost = urlHost
        self.httpClient = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: httpConfiguration,
            backgroundActivityLogger: logger
        )
    }

    /// Runs `body` with a new client and shuts the client down afterwards, also when `body` throws.
    public static func withClient<Result: Sendable>(
        connection: KubeConnection,
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "vzauth.kube-client"),
        _ body: (KubernetesClient) async throws -> Result
    ) async throws -> Result {
        let client = KubernetesClient(connection: connection, configuration: configuration, logger: logger)
        let result: Result
        do {
            result = try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return result
    }

    /// Closes connections and releases resources.
    public func shutdown() async throws {
        try await self.httpClient.shutdown()
    }

    // MARK: - Typed calls

    /// Reads one object.
    public func get<Object: Decodable & Sendable>(
        _ type: Object.Type = Object.self,
        _ resource: KubeResource,
        namespace: String? = nil,
        name: String
    ) async throws -> Object {
        let path = try resource.path(namespace: namespace, name: name)
        return try await self.decode(type, from: self.send(method: .GET, path: path))
    }

    /// Lists objects; a `nil` namespace for a namespaced resource lists all namespaces.
    public func list<Object: Decodable & Sendable>(
        _ type: Object.Type = Object.self,
        _ resource: KubeResource,
        namespace: String? = nil,
        options: KubeListOptions = KubeListOptions()
    ) async throws -> KubeList<Object> {
        let path = try resource.path(namespace: namespace)
        return try await self.decode(KubeList<Object>.self, from: self.send(method: .GET, path: path, query: options.queryItems))
    }

    /// Creates an object and returns it as stored by the server.
    public func create<Object: Codable & Sendable>(
        _ object: Object,
        _ resource: KubeResource,
        namespace: String? = nil
    ) async throws -> Object {
        try await self.perform(.create(object, resource, namespace: namespace), returning: Object.self)
    }

    /// Replaces an object (`PUT`); a `metadata.resourceVersion` in `object` makes this a conditional update
    /// that fails with a conflict when stale.
    public func update<Object: Codable & Sendable>(
        _ object: Object,
        _ resource: KubeResource,
        namespace: String? = nil,
        name: String
    ) async throws -> Object {
        try await self.perform(.update(object, resource, namespace: namespace, name: name), returning: Object.self)
    }

    /// Applies a JSON merge patch (RFC 7386, `application/merge-patch+json`) and returns the patched object.
    ///
    /// A `metadata.resourceVersion` in the patch makes it conditional (a conflict when stale); `subresource`
    /// patches e.g. `status`.
    public func patch<Object: Decodable & Sendable, Patch: Encodable>(
        _ type: Object.Type = Object.self,
        _ resource: KubeResource,
        namespace: String? = nil,
        name: String,
        subresource: String? = nil,
        mergePatch: Patch
    ) async throws -> Object {
        try await self.perform(.mergePatch(mergePatch, resource, namespace: namespace, name: name, subresource: subresource),
                               returning: type)
    }

    /// Deletes an object. Deletion may complete later (finalizers); a missing object is a ``KubeAPIError/isNotFound`` error.
    public func delete(_ resource: KubeResource, namespace: String? = nil, name: String) async throws {
        try await self.perform(.delete(resource, namespace: namespace, name: name))
    }

    // MARK: - Raw calls

    /// Sends one request and returns the (bounded) response body; non-2xx responses throw ``KubeAPIError``.
    ///
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - path: The API path (`/api/v1/...`), below the connection's base path.
    ///   - query: Query items, percent-encoded by this method.
    ///   - body: The request body, if any.
    ///   - contentType: The body's content type.
    public func send(
        method: HTTPMethod,
        path: String,
        query: [(String, String)] = [],
        body: ByteBuffer? = nil,
        contentType: String = "application/json"
    ) async throws -> ByteBuffer {
        let request = self.makeRequest(method: method, path: path, query: query, body: body, contentType: contentType)
        let response = try await self.httpClient.execute(
            request,
            deadline: .now() + self.configuration.requestTimeout,
            logger: self.logger
        )
        let bytes: ByteBuffer
        do {
            bytes = try await response.body.collect(upTo: self.configuration.maximumResponseSize)
        } catch is NIOTooManyBytesError {
            throw KubeAPIError.responseTooLarge(self.configuration.maximumResponseSize)
        }
        guard (200..<300).contains(response.status.code) else {
            throw Self.error(status: response.status, body: bytes)
        }
        return bytes
    }

    func makeRequest(
        method: HTTPMethod,
        path: String,
        query: [(String, String)],
        body: ByteBuffer?,
        contentType: String
    ) -> HTTPClientRequest {
        var url = "\(self.connection.scheme)://\(self.urlHost):\(self.connection.port)\(self.connection.basePath)\(path)"
        if !query.isEmpty {
            url += "?" + query.map { "\(KubeResource.encode($0.0))=\(KubeResource.encode($0.1))" }.joined(separator: "&")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: self.configuration.userAgent)
        if let authorization = self.connection.authorizationHeaderValue() {
            request.headers.add(name: "Authorization", value: authorization)
        }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(body)
        }
        return request
    }

    /// The ``KubeAPIError`` for an error response: its `Status` if it has one, else the status line and body text.
    static func error(status: HTTPResponseStatus, body: ByteBuffer) -> KubeAPIError {
        if let decoded = try? JSONDecoder().decode(KubeStatus.self, from: body), decoded.kind == "Status" || decoded.reason != nil {
            return KubeAPIError(status: decoded, httpCode: Int(status.code))
        }
        let text = String(buffer: body).prefix(512)
        return KubeAPIError(
            code: Int(status.code),
            reason: KubeAPIError.defaultReason(Int(status.code)),
            message: text.isEmpty ? status.reasonPhrase : String(text)
        )
    }

    /// Encodes a request body as compact JSON that is also YAML the API server reads.
    ///
    /// Server-side apply bodies go out as `application/apply-patch+yaml`, and kube-apiserver reads them with
    /// go-yaml v2, whose double-quoted scalars know no `\/` escape (the body is refused with 400 "found unknown
    /// escape character"). Foundation's encoder writes `/` as `\/` unless told otherwise, so it is told otherwise
    /// here, for every body. The remaining escapes it writes (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t` and
    /// `\u00XX` for other controls) are all YAML escapes; other characters are written as UTF-8. Keys are sorted, so
    /// the bytes of a body depend only on its value.
    static func encode(_ value: some Encodable) throws -> ByteBuffer {
        do {
            return ByteBuffer(data: try Self.bodyEncoder().encode(value))
        } catch {
            throw KubeAPIError.invalidRequest("cannot encode the request body: \(error)")
        }
    }

    /// The encoder of request bodies: no escaped slashes, sorted keys (see ``encode(_:)``).
    static func bodyEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }

    func decode<Object: Decodable>(_ type: Object.Type, from body: ByteBuffer) throws -> Object {
        do {
            return try JSONDecoder().decode(type, from: body)
        } catch {
            throw KubeAPIError.invalidResponse("cannot decode \(Object.self): \(error)")
        }
    }
}
