public import NIOHTTP1
public import OIDC

/// An error answer a proxy makes itself: a refused request, or a failure it reports without details.
///
/// It knows everything about the answer except its form: the status, a bounded reason label for the access log and
/// metrics, a message for the user (never a credential), whether to challenge for a bearer token, and the user to
/// log. It is rendered in one place per form: ``ProxyCore/LocalResponse/kubernetesStatus(_:headers:)`` for the API
/// proxy (kubectl shows a `Status`) and ``ProxyCore/LocalResponse/consoleText(_:headers:)`` for the OIDC proxy.
public struct ProxyRefusal: Error, Sendable, Hashable {
    /// The `WWW-Authenticate` challenge of a 401 (RFC 6750 §3).
    public enum Challenge: Sendable, Hashable {
        /// A bearer token is needed (none was sent, or another scheme).
        case bearer
        /// The bearer token sent is not acceptable (`error="invalid_token"` where the rendering says it).
        case invalidBearerToken
    }

    /// The status to answer with.
    public var status: HTTPResponseStatus
    /// A short, bounded label for the access log and metrics (`expired`, `missing_token`); `nil` when the answer
    /// is not a refusal of the client (the proxy or its upstream failed).
    public var reason: String?
    /// Text for the user; never a token, password or cookie.
    public var message: String
    /// The challenge to send, if any.
    public var challenge: Challenge?
    /// The user to record in the access log, when one is known.
    public var logUser: String?

    /// Creates a refusal.
    public init(_ status: HTTPResponseStatus, reason: String?, message: String, challenge: Challenge? = nil,
                logUser: String? = nil) {
        self.status = status
        self.reason = reason
        self.message = message
        self.challenge = challenge
        self.logUser = logUser
    }

    /// A token the authenticator refused: 403 without a challenge when only a required role is missing, 503 without
    /// one when the identity provider has not been reached yet (the token is not to blame), else 401 asking for a
    /// valid bearer token. The reason is ``OIDC/OIDCError/metricLabel``, the message ``OIDC/OIDCError/message``.
    public init(_ error: OIDCError) {
        if error.httpStatus == 403 {
            self.init(.forbidden, reason: error.metricLabel, message: error.message)
        } else if error.httpStatus == 503 {
            self.init(.serviceUnavailable, reason: error.metricLabel, message: error.message)
        } else {
            self.init(.unauthorized, reason: error.metricLabel, message: error.message, challenge: .invalidBearerToken)
        }
    }
}
