public import KubeClient
import NIOCore
import NIOHTTP1

extension SubjectAccessReview {
    /// Sends reviews with `client` (the proxy's own credential) and returns each one's verdict.
    public static func sender(_ client: KubernetesClient) -> @Sendable (SubjectAccessReview) async throws -> Status {
        { review in
            let body = try ByteBuffer(bytes: review.encodedBody())
            let response = try await client.send(method: .POST, path: Self.path, body: body)
            return try Self.status(fromResponse: response.readableBytesView)
        }
    }
}
