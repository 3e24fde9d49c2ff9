public import NIOCore

/// How to answer a request from its whole body.
public struct BodyReader: Sendable {
    /// The most body bytes read; a larger body gets ``tooLarge`` at once.
    public var maximumBytes: Int
    /// The answer when the body exceeds ``maximumBytes``.
    public var tooLarge: LocalResponse
    /// Makes the answer from the body, off the event loop (see ``Deferred``). It should not throw; if it does, the
    /// client gets the policy's ``RequestPolicy/policyFailureResponse(_:for:)``.
    public var respond: @Sendable (ByteBuffer) async throws -> LocalResponse

    /// Creates a body reader.
    public init(maximumBytes: Int, tooLarge: LocalResponse,
                respond: @escaping @Sendable (ByteBuffer) async throws -> LocalResponse) {
        self.maximumBytes = maximumBytes
        self.tooLarge = tooLarge
        self.respond = respond
    }
}
