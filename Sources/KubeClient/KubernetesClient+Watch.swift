import AsyncHTTPClient
public import KubeModels
public import NIOCore
import NIOHTTP1

extension KubernetesClient {
    /// Watches a collection: returns once the server accepted the watch, then yields events as they arrive.
    ///
    /// Without `options.resourceVersion` the server first reports every existing object as `ADDED`; with one,
    /// only changes after that version. The server ends the stream after `timeout` (`timeoutSeconds`); the
    /// client's deadline is `timeout` plus ``Configuration/watchDeadlineGrace``.
    ///
    /// - Throws: ``KubeAPIError`` if the server refuses the watch (a 410 ``KubeAPIError/isGone`` means the
    ///   version is too old: list again).
    public func watch<Object: Decodable & Sendable>(
        _ type: Object.Type = Object.self,
        _ resource: KubeResource,
        namespace: String? = nil,
        options: KubeListOptions = KubeListOptions(),
        timeout: TimeAmount = .seconds(300)
    ) async throws -> KubeWatchStream<Object> {
        let path = try resource.path(namespace: namespace)
        var query = options.queryItems.filter { $0.0 != "limit" && $0.0 != "continue" }
        query.append(("watch", "true"))
        query.append(("timeoutSeconds", String(max(1, timeout.nanoseconds / 1_000_000_000))))
        let request = self.makeRequest(method: .GET, path: path, query: query, body: nil, contentType: "application/json")
        let response = try await self.httpClient.execute(
            request,
            deadline: .now() + timeout + self.configuration.watchDeadlineGrace,
            logger: self.logger
        )
        guard (200..<300).contains(response.status.code) else {
            let body = (try? await response.body.collect(upTo: 1024 * 1024)) ?? ByteBuffer()
            throw Self.error(status: response.status, body: body)
        }
        return KubeWatchStream(body: response.body, maximumEventSize: self.configuration.maximumWatchEventSize)
    }
}
