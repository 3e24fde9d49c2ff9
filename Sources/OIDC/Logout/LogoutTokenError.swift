/// Why a back-channel `logout_token` was refused.
///
/// OpenID Connect Back-Channel Logout 1.0 §2.8: whenever the logout request is invalid or fails the relying party
/// answers `400 Bad Request`, so ``httpStatus`` is always 400 (a JSON body `{"error":"invalid_request"}` may
/// accompany it). ``metricLabel`` says why, from a bounded set: the labels of ``OIDCError`` for signature, key,
/// issuer, audience and time failures, plus the logout-specific ones below.
///
/// - Important: Neither ``message`` nor ``description`` ever contains the token.
public struct LogoutTokenError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: String, Hashable, Sendable {
        // Shared with OIDCError (same labels).
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
        case keysUnavailable = "keys_unavailable"
        // Logout tokens only.
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

    /// The verification failure `error` (signature, key, issuer, audience, time), keeping its label and message.
    init(_ error: OIDCError) {
        self.init(Code(rawValue: error.metricLabel) ?? .malformed, error.message)
    }

    /// Always 400, as Back-Channel Logout 1.0 §2.8 requires for a refused logout request.
    public var httpStatus: Int {
        400
    }

    /// A bounded label for metrics, such as `"bad_signature"` or `"replayed"`.
    public var metricLabel: String {
        self.code.rawValue
    }

    /// The label and message; never the token.
    public var description: String {
        "LogoutTokenError(\(self.code.rawValue)): \(self.message)"
    }

    /// Returns a copy with a more specific message; the code stays the same.
    func with(message: String) -> LogoutTokenError {
        LogoutTokenError(self.code, message)
    }

    /// Two errors are equal when their codes are equal; the message is not compared.
    public static func == (lhs: LogoutTokenError, rhs: LogoutTokenError) -> Bool {
        lhs.code == rhs.code
    }

    /// Hashes the code only, consistent with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
    }
}

extension LogoutTokenError {
    /// The token is not a well-formed compact JWS, or a claim has the wrong JSON type.
    public static let malformed = LogoutTokenError(.malformed, "malformed logout token")
    /// The token's signature does not verify.
    public static let badSignature = LogoutTokenError(.badSignature, "invalid signature")
    /// `exp` lies in the past (beyond the clock skew).
    public static let expired = LogoutTokenError(.expired, "logout token expired")
    /// `iss` is not exactly the configured issuer.
    public static let wrongIssuer = LogoutTokenError(.wrongIssuer, "wrong issuer")
    /// Neither `aud` nor `azp` names an allowed client.
    public static let wrongAudience = LogoutTokenError(.wrongAudience, "logout token not issued for an allowed client")
    /// `iat` lies in the future (beyond the clock skew).
    public static let issuedInFuture = LogoutTokenError(.issuedInFuture, "logout token issued in the future")
    /// No verification keys could be loaded.
    public static let keysUnavailable = LogoutTokenError(.keysUnavailable, "signing keys unavailable")
    /// The header's `typ` is present but is not `logout+jwt` (so the token may be an ID or access token).
    public static let wrongType = LogoutTokenError(.wrongType, "header typ is not logout+jwt")
    /// The `iat` claim is missing.
    public static let missingIssuedAt = LogoutTokenError(.missingIssuedAt, "logout token has no iat")
    /// `iat` is older than the verifier's maximum age (plus skew): too old to still be checked for replay.
    public static let tooOld = LogoutTokenError(.tooOld, "logout token is too old")
    /// The `jti` claim is missing, empty or not a string.
    public static let missingTokenID = LogoutTokenError(.missingTokenID, "logout token has no jti")
    /// `events` is missing, not an object, or lacks the back-channel logout event (whose value must be an object).
    public static let missingEvent = LogoutTokenError(.missingEvent, "logout token lacks the back-channel logout event")
    /// Neither `sub` nor `sid` is present.
    public static let missingSubject = LogoutTokenError(.missingSubject, "logout token names neither sub nor sid")
    /// A `nonce` claim is present, which logout tokens must not carry (it marks an ID token).
    public static let noncePresent = LogoutTokenError(.noncePresent, "logout token carries a nonce")
    /// A logout token with the same `jti` was already accepted.
    public static let replayed = LogoutTokenError(.replayed, "logout token replayed")
}
