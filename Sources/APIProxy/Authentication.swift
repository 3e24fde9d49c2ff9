/// The identity a request is forwarded as.
public struct ProxyIdentity: Sendable, Hashable {
    /// The Kubernetes user name (`Impersonate-User`).
    public var username: String
    /// The groups (`Impersonate-Group`), without `system:authenticated`, which the proxy adds.
    public var groups: [String]

    /// Creates an identity.
    public init(username: String, groups: [String]) {
        self.username = username
        self.groups = groups
    }
}

/// Why a credential was not accepted.
public struct AuthenticationFailure: Error, Sendable, Hashable {
    /// 401 (no valid credential) or 403 (valid, but not allowed: a missing required role).
    public var httpStatus: Int
    /// A bounded label for metrics and logs (`expired`, `bad_signature`, ...).
    public var reason: String
    /// Text for the user; never contains the credential.
    public var message: String

    /// Creates a failure.
    public init(httpStatus: Int, reason: String, message: String) {
        self.httpStatus = httpStatus
        self.reason = reason
        self.message = message
    }
}

/// The result of checking a bearer token without waiting.
public enum ImmediateAuthentication: Sendable {
    /// Valid: forward as this identity.
    case authenticated(ProxyIdentity)
    /// Invalid.
    case failed(AuthenticationFailure)
    /// Cannot be decided without I/O (an unknown signing key): call the asynchronous check.
    case needsAsynchronousCheck
}

/// Checks bearer tokens. The API proxy calls ``authenticateImmediately(_:)`` on the event loop for every request,
/// and ``authenticate(_:)`` only when the first cannot decide.
public protocol BearerTokenAuthenticator: Sendable {
    /// Decides without I/O when it can (cached result, known keys).
    func authenticateImmediately(_ token: String) -> ImmediateAuthentication
    /// Decides, fetching what it needs.
    func authenticate(_ token: String) async -> Result<ProxyIdentity, AuthenticationFailure>
}

/// Supplies the proxy's own credential for the upstream API server.
public protocol UpstreamCredential: Sendable {
    /// The `Authorization` header value (`Bearer ...`), or `nil` when the connection authenticates otherwise
    /// (a client certificate).
    func authorizationHeaderValue() -> String?
}
