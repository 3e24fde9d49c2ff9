public import NIOCore
public import NIOHTTP1

/// A response the proxy makes itself.
public struct LocalResponse: Sendable {
    /// Status line code.
    public var status: HTTPResponseStatus
    /// Headers (framing headers are set by the proxy).
    public var headers: HTTPHeaders
    /// The whole body.
    public var body: ByteBuffer
    /// The identity to record in the access log, when one is known.
    public var logUser: String?
    /// A short, bounded reason for logs and metrics (e.g. `"expired"`), when the request was refused.
    public var refusalReason: String?

    /// Creates a response.
    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer(), logUser: String? = nil, refusalReason: String? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.logUser = logUser
        self.refusalReason = refusalReason
    }
}
