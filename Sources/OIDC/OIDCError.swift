/// The one error type of the `OIDC` module: why a bearer, ID or back-channel logout token was refused, or keys
/// could not be loaded.
///
/// Each error carries the HTTP status a proxy answers a refused bearer token with (``httpStatus``: 401, or 403 for
/// ``missingRole``; a refused logout request is always answered 400, as Back-Channel Logout 1.0 §2.8 requires), a
/// short ``message`` for logs and response bodies, and a bounded ``metricLabel`` suitable as a metric label value.
///
/// - Important: Neither ``message`` nor ``description`` ever contains the token, a signature or key material.
public struct OIDCError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: String, Hashable, Sendable {
        case malformed
        case oversized
        case unsupportedAlgorithm = "unsupported_algorithm"
        case unknownKey = "unknown_key"
        case badSignature = "bad_signature"
        case expired
        case notYetValid = "not_yet_valid"
        case issuedInFuture = "issued_in_future"
        case wrongIssuer = "wrong_issuer"
        case wrongAudience = "wrong_audience"
        case invalidUsername = "invalid_username"
        case invalidGroups = "invalid_groups"
        case forbiddenName = "forbidden_name"
        case missingRole = "missing_role"
        case keysUnavailable = "keys_unavailable"
        case providerNotReached = "provider_not_reached"
        case wrongNonce = "wrong_nonce"
        // Back-channel logout tokens only.
        case wrongType = "wrong_type"
        case missingIssuedAt = "missing_iat"
        case tooOld = "too_old"
        case missingTokenID = "missing_jti"
        case missingEvent = "missing_event"
        case missingSubject = "missing_subject"
        case noncePresent = "nonce_present"
        case replayed
    }

    private let code: Code

    /// A short human-readable explanation. Never contains the token.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The HTTP status the caller should answer with: 403 for ``missingRole``, 503 for ``providerNotReached``
    /// (nothing is wrong with the token), 401 for everything else.
    public var httpStatus: Int {
        switch self.code {
        case .missingRole: return 403
        case .providerNotReached: return 503
        default: return 401
        }
    }

    /// A bounded label for metrics, such as `"expired"` or `"bad_signature"`.
    public var metricLabel: String {
        self.code.rawValue
    }

    /// The label and message; never the token.
    public var description: String {
        "OIDCError(\(self.code.rawValue)): \(self.message)"
    }

    /// Returns a copy with a more specific message; the code (and so status and label) stays the same.
    func with(message: String) -> OIDCError {
        OIDCError(self.code, message)
    }

    /// Two errors are equal when their codes are equal; the message is not compared.
    public static func == (lhs: OIDCError, rhs: OIDCError) -> Bool {
        lhs.code == rhs.code
    }

    /// Hashes the code only, consistent with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
    }
}

extension OIDCError {
    /// The token is not a well-formed compact JWS (segments, base64url, JSON structure), or a registered
    /// claim has the wrong JSON type (for example `exp` as a string).
    public static let malformed = OIDCError(.malformed, "malformed token")
    /// The token is larger than the accepted maximum (64 KiB).
    public static let oversized = OIDCError(.oversized, "token too large")
    /// The header's `alg` is not on the allow list, or the key cannot be used with it.
    public static let unsupportedAlgorithm = OIDCError(.unsupportedAlgorithm, "unsupported or mismatched signing algorithm")
    /// No key with the token's `kid` is known (even after a refetch), or a `kid`-less token is ambiguous.
    public static let unknownKey = OIDCError(.unknownKey, "unknown signing key")
    /// The signature does not verify.
    public static let badSignature = OIDCError(.badSignature, "invalid signature")
    /// `exp` is missing or lies in the past (beyond the clock skew).
    public static let expired = OIDCError(.expired, "token expired")
    /// `nbf` lies in the future (beyond the clock skew).
    public static let notYetValid = OIDCError(.notYetValid, "token not yet valid")
    /// `iat` lies in the future (beyond the clock skew).
    public static let issuedInFuture = OIDCError(.issuedInFuture, "token issued in the future")
    /// `iss` is not exactly the configured issuer.
    public static let wrongIssuer = OIDCError(.wrongIssuer, "wrong issuer")
    /// Neither `azp` nor `aud` names an allowed client.
    public static let wrongAudience = OIDCError(.wrongAudience, "token not issued for an allowed client")
    /// The username claim is missing, not a string, or a name ``IdentityName`` refuses (empty, control characters,
    /// white space at either end); the message says which.
    public static let invalidUsername = OIDCError(.invalidUsername, "invalid username claim")
    /// The groups claim is neither a string nor an array of strings, or a group is a name ``IdentityName`` refuses;
    /// the message says which group and why.
    public static let invalidGroups = OIDCError(.invalidGroups, "invalid groups claim")
    /// The username or a group starts with the reserved prefix `system:` (compared byte for byte).
    public static let forbiddenName = OIDCError(.forbiddenName, "reserved name in token")
    /// The required realm role is missing. HTTP status 403.
    public static let missingRole = OIDCError(.missingRole, "required role missing")
    /// No verification keys are available: the issuer's discovery document or key set could not be loaded.
    public static let keysUnavailable = OIDCError(.keysUnavailable, "signing keys unavailable")
    /// The issuer's keys have never been loaded since the start (the identity provider has not been reached): no
    /// token can be checked yet, and the token is not to blame. HTTP status 503.
    public static let providerNotReached = OIDCError(
        .providerNotReached, "the identity provider has not been reached yet; try again shortly")
    /// An ID token's `nonce` is missing, not a string, or differs from the nonce of the authorization request
    /// (a replayed or injected ID token). Only ID token verification checks it.
    public static let wrongNonce = OIDCError(.wrongNonce, "ID token nonce does not match the login")
}

extension OIDCError {
    /// A logout token whose header `typ` is not `logout+jwt`.
    public static let wrongType = OIDCError(.wrongType, "header typ is not logout+jwt")
    /// A logout token without `iat`.
    public static let missingIssuedAt = OIDCError(.missingIssuedAt, "logout token has no iat")
    /// A logout token issued too long ago.
    public static let tooOld = OIDCError(.tooOld, "logout token is too old")
    /// A logout token without `jti`.
    public static let missingTokenID = OIDCError(.missingTokenID, "logout token has no jti")
    /// A logout token without the back-channel logout event.
    public static let missingEvent = OIDCError(.missingEvent, "logout token lacks the back-channel logout event")
    /// A logout token naming neither `sub` nor `sid`.
    public static let missingSubject = OIDCError(.missingSubject, "logout token names neither sub nor sid")
    /// A logout token carrying a `nonce` (forbidden by Back-Channel Logout 1.0 §2.4).
    public static let noncePresent = OIDCError(.noncePresent, "logout token carries a nonce")
    /// A logout token whose `jti` was accepted before.
    public static let replayed = OIDCError(.replayed, "logout token replayed")
}
