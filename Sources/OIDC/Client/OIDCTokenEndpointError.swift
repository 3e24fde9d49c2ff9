/// Why a call to the token endpoint (code exchange, refresh, password grant) failed.
///
/// Three kinds, which call for different reactions:
/// - ``Kind-swift.enum/rejected``: the provider refused the grant with an OAuth error (HTTP 400 or 401 and a JSON
///   `error`): the code, refresh token or credentials are no good. The session is over or the credentials are
///   wrong; answer the user with 401 (or start a new login). ``oauthError`` says which error.
/// - ``Kind-swift.enum/unavailable``: the endpoint could not be asked or did not answer usefully (not
///   configured yet, connection failure, timeout, 5xx, another status, a body that is not JSON or too large).
///   Nothing is known about the grant; keep the session and answer 502 or 503.
/// - ``Kind-swift.enum/invalidResponse``: HTTP 200, but the JSON is not a usable token response.
///
/// ``metricLabel`` is from a bounded set. The provider's `error_description` appears in ``message`` only
/// sanitized: printable ASCII, at most 100 characters, long words (which could be tokens or codes) removed, and
/// withheld entirely if it contains a value that was sent.
///
/// - Important: Neither ``message`` nor ``description`` ever contains a token, code, password or secret.
public struct OIDCTokenEndpointError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Kind: String, Sendable, Hashable {
        /// The provider refused the grant (a 4xx with an OAuth error).
        case rejected
        /// The endpoint was not reachable or did not answer with a token response or an OAuth error.
        case unavailable
        /// HTTP 200 with a body that is not a valid token response.
        case invalidResponse = "invalid_response"
    }

    /// The OAuth 2.0 error codes of RFC 6749 §5.2; anything else is ``other``.
    public enum OAuthError: String, Sendable, Hashable, CaseIterable {
        /// `invalid_request`: a parameter is missing, repeated or malformed.
        case invalidRequest = "invalid_request"
        /// `invalid_client`: client authentication failed (unknown client, wrong secret).
        case invalidClient = "invalid_client"
        /// `invalid_grant`: the code, refresh token or user credentials are invalid, expired or revoked (Keycloak:
        /// wrong password, session ended, code reused, PKCE mismatch).
        case invalidGrant = "invalid_grant"
        /// `unauthorized_client`: the client may not use this grant type.
        case unauthorizedClient = "unauthorized_client"
        /// `unsupported_grant_type`.
        case unsupportedGrantType = "unsupported_grant_type"
        /// `invalid_scope`.
        case invalidScope = "invalid_scope"
        /// `authorization_pending` (RFC 8628 §3.5): the user has not finished the device login yet; poll again.
        case authorizationPending = "authorization_pending"
        /// `slow_down` (RFC 8628 §3.5): poll again, 5 seconds more apart.
        case slowDown = "slow_down"
        /// `expired_token` (RFC 8628 §3.5): the device code expired; start again.
        case expiredToken = "expired_token"
        /// `access_denied` (RFC 8628 §3.5, RFC 6749 §4.1.2.1): the user refused.
        case accessDenied = "access_denied"
        /// Any other `error` value.
        case other
    }

    private enum Code: String, Hashable, Sendable {
        case invalidRequest = "invalid_request"
        case invalidClient = "invalid_client"
        case invalidGrant = "invalid_grant"
        case unauthorizedClient = "unauthorized_client"
        case unsupportedGrantType = "unsupported_grant_type"
        case invalidScope = "invalid_scope"
        case authorizationPending = "authorization_pending"
        case slowDown = "slow_down"
        case expiredToken = "expired_token"
        case accessDenied = "access_denied"
        case otherOAuthError = "other_oauth_error"
        case notConfigured = "not_configured"
        case transport
        case timeout
        case serverError = "server_error"
        case unexpectedStatus = "unexpected_status"
        case notJSON = "not_json"
        case oversized
        case malformedResponse = "malformed_response"

        var kind: Kind {
            switch self {
            case .invalidRequest, .invalidClient, .invalidGrant, .unauthorizedClient, .unsupportedGrantType,
                .invalidScope, .authorizationPending, .slowDown, .expiredToken, .accessDenied, .otherOAuthError:
                .rejected
            case .notConfigured, .transport, .timeout, .serverError, .unexpectedStatus, .notJSON, .oversized:
                .unavailable
            case .malformedResponse:
                .invalidResponse
            }
        }
    }

    private let code: Code

    /// A short human-readable explanation, safe to log.
    public let message: String

    /// The HTTP status the token endpoint answered with, if it answered.
    public let upstreamStatus: Int?

    private init(_ code: Code, _ message: String, upstreamStatus: Int? = nil) {
        self.code = code
        self.message = message
        self.upstreamStatus = upstreamStatus
    }

    /// What kind of failure this is.
    public var kind: Kind {
        self.code.kind
    }

    /// The OAuth `error` code for ``Kind-swift.enum/rejected`` errors (unknown codes as ``OAuthError/other``),
    /// `nil` for the other kinds.
    public var oauthError: OAuthError? {
        guard self.kind == .rejected else {
            return nil
        }
        return OAuthError(rawValue: self.code.rawValue) ?? .other
    }

    /// The HTTP status to answer the user with: 401 for ``Kind-swift.enum/rejected``; 503 when the endpoint is
    /// not configured, unreachable or timed out; 502 for a bad answer (5xx, unexpected status, not JSON, too
    /// large, malformed).
    public var httpStatus: Int {
        switch self.code {
        case .notConfigured, .transport, .timeout:
            503
        case .serverError, .unexpectedStatus, .notJSON, .oversized, .malformedResponse:
            502
        default:
            401
        }
    }

    /// A bounded label for metrics: the OAuth error code (`invalid_grant`, ..., the RFC 8628 codes,
    /// `other_oauth_error`) or one of
    /// `not_configured`, `transport`, `timeout`, `server_error`, `unexpected_status`, `not_json`, `oversized`,
    /// `malformed_response`.
    public var metricLabel: String {
        self.code.rawValue
    }

    /// The label and message; never a token or secret.
    public var description: String {
        "OIDCTokenEndpointError(\(self.code.rawValue)): \(self.message)"
    }

    /// Returns a copy with a more specific message and the upstream status; the code stays the same.
    func with(message: String, upstreamStatus: Int? = nil) -> OIDCTokenEndpointError {
        OIDCTokenEndpointError(self.code, message, upstreamStatus: upstreamStatus ?? self.upstreamStatus)
    }

    /// Two errors are equal when their codes are equal; message and status are not compared.
    public static func == (lhs: OIDCTokenEndpointError, rhs: OIDCTokenEndpointError) -> Bool {
        lhs.code == rhs.code
    }

    /// Hashes the code only, consistent with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
    }
}

extension OIDCTokenEndpointError {
    /// The grant was refused with `invalid_request`.
    public static let invalidRequest = OIDCTokenEndpointError(.invalidRequest, "token request refused: invalid_request")
    /// The grant was refused with `invalid_client`.
    public static let invalidClient = OIDCTokenEndpointError(.invalidClient, "token request refused: invalid_client")
    /// The grant was refused with `invalid_grant` (Keycloak: wrong password, session over, code reused or expired).
    public static let invalidGrant = OIDCTokenEndpointError(.invalidGrant, "token request refused: invalid_grant")
    /// The grant was refused with `unauthorized_client`.
    public static let unauthorizedClient = OIDCTokenEndpointError(
        .unauthorizedClient, "token request refused: unauthorized_client")
    /// The grant was refused with `unsupported_grant_type`.
    public static let unsupportedGrantType = OIDCTokenEndpointError(
        .unsupportedGrantType, "token request refused: unsupported_grant_type")
    /// The grant was refused with `invalid_scope`.
    public static let invalidScope = OIDCTokenEndpointError(.invalidScope, "token request refused: invalid_scope")
    /// The device login is not finished yet (`authorization_pending`, RFC 8628).
    public static let authorizationPending = OIDCTokenEndpointError(
        .authorizationPending, "token request refused: authorization_pending")
    /// The device code was polled too often (`slow_down`, RFC 8628).
    public static let slowDown = OIDCTokenEndpointError(.slowDown, "token request refused: slow_down")
    /// The device code expired (`expired_token`, RFC 8628).
    public static let expiredToken = OIDCTokenEndpointError(.expiredToken, "token request refused: expired_token")
    /// The user refused the login (`access_denied`).
    public static let accessDenied = OIDCTokenEndpointError(.accessDenied, "token request refused: access_denied")
    /// The grant was refused with an OAuth error code outside RFC 6749's and RFC 8628's lists.
    public static let otherOAuthError = OIDCTokenEndpointError(.otherOAuthError, "token request refused")
    /// No token endpoint is known yet (the discovery document is not loaded or has no `token_endpoint`).
    public static let notConfigured = OIDCTokenEndpointError(.notConfigured, "token endpoint not known yet")
    /// Connecting to the token endpoint failed (connection refused, DNS, TLS).
    public static let transport = OIDCTokenEndpointError(.transport, "token endpoint unreachable")
    /// The token request did not complete before the deadline.
    public static let timeout = OIDCTokenEndpointError(.timeout, "token endpoint timed out")
    /// The token endpoint answered with a 5xx status.
    public static let serverError = OIDCTokenEndpointError(.serverError, "token endpoint failed")
    /// The token endpoint answered with a status that is neither 200 nor an OAuth error (redirects included:
    /// they are never followed).
    public static let unexpectedStatus = OIDCTokenEndpointError(.unexpectedStatus, "token endpoint answered an unexpected status")
    /// The token endpoint's body is not JSON.
    public static let notJSON = OIDCTokenEndpointError(.notJSON, "token endpoint answered something other than JSON")
    /// The token endpoint's body is larger than ``OIDCTokenClientConfiguration/maximumResponseSize``.
    public static let oversized = OIDCTokenEndpointError(.oversized, "token endpoint response too large")
    /// HTTP 200, but `access_token` is missing or empty, or a member has the wrong JSON type.
    public static let malformedResponse = OIDCTokenEndpointError(.malformedResponse, "malformed token response")

    /// The rejection for an OAuth `error` code (unknown codes: ``otherOAuthError``).
    static func rejection(oauthError: String) -> OIDCTokenEndpointError {
        switch OAuthError(rawValue: oauthError) {
        case .invalidRequest?: .invalidRequest
        case .invalidClient?: .invalidClient
        case .invalidGrant?: .invalidGrant
        case .unauthorizedClient?: .unauthorizedClient
        case .unsupportedGrantType?: .unsupportedGrantType
        case .invalidScope?: .invalidScope
        case .authorizationPending?: .authorizationPending
        case .slowDown?: .slowDown
        case .expiredToken?: .expiredToken
        case .accessDenied?: .accessDenied
        case .other?, .none: .otherOAuthError
        }
    }
}
