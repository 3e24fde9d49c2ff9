/// Why a cookie a client sent was not accepted.
///
/// Rejections are ordinary outcomes, not failures of the proxy: every one of them means "no session" (or "no
/// pending login"), never an HTTP 500. ``metricLabel`` is a bounded label for a counter.
public enum CookieRejection: Error, Hashable, Sendable, CaseIterable {
    /// Not base64url, too short or too long, an unknown format version, a chunk structure that does not add
    /// up (missing, extra or unnumbered chunks), or a payload that does not decode.
    case malformed
    /// Sealed with a key that is not in the key ring (rotated out, or from another installation).
    case unknownKey
    /// The authentication tag does not verify: the value was altered, or chunks were mixed up.
    case tampered
    /// Authentic, but its sealed expiry has passed.
    case expired
    /// Authentic format, but sealed for another cookie (for example a `vz_state` value sent as `vz_authn`).
    case wrongPurpose

    /// A bounded label for metrics, such as `"unknown_key"`.
    public var metricLabel: String {
        switch self {
        case .malformed: "malformed"
        case .unknownKey: "unknown_key"
        case .tampered: "tampered"
        case .expired: "expired"
        case .wrongPurpose: "wrong_purpose"
        }
    }
}

/// The result of looking for one of the proxy's cookies in a request.
public enum CookieLookup<Value: Sendable>: Sendable {
    /// The request carries no such cookie.
    case absent
    /// The cookie is present, authentic, unexpired and decodes to `Value`.
    case valid(Value)
    /// The cookie is present but cannot be accepted.
    case rejected(CookieRejection)

    /// The value when ``valid(_:)``, otherwise `nil`.
    public var value: Value? {
        if case .valid(let value) = self { value } else { nil }
    }
}

extension CookieLookup: Equatable where Value: Equatable {}
