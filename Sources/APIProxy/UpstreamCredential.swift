/// Supplies the proxy's own credential for the upstream API server.
public protocol UpstreamCredential: Sendable {
    /// The `Authorization` header value (`Bearer ...`), or `nil` when the connection authenticates otherwise
    /// (a client certificate).
    func authorizationHeaderValue() -> String?
}
