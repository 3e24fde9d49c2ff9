/// The error type of the cookie and session layer: a cookie that cannot be built, a value that does not fit,
/// or a sealing secret that is not acceptable.
///
/// These are programming or configuration errors found while *writing* cookies or building the key ring; a
/// cookie a client sent that cannot be accepted is never an error but a ``CookieRejection``.
///
/// - Important: Neither ``message`` nor ``description`` ever contains a cookie value, a token or a secret.
public struct CookieError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: String, Hashable, Sendable {
        case invalidName = "invalid_name"
        case invalidValue = "invalid_value"
        case invalidPath = "invalid_path"
        case invalidDomain = "invalid_domain"
        case sameSiteNoneWithoutSecure = "same_site_none_without_secure"
        case noSecrets = "no_secrets"
        case secretTooShort = "secret_too_short"
        case valueTooLarge = "value_too_large"
        case sealingFailed = "sealing_failed"
        case invalidConfiguration = "invalid_configuration"
    }

    private let code: Code

    /// A short human-readable explanation. Never contains a cookie value or a secret.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A bounded label for metrics and logs, such as `"value_too_large"`.
    public var metricLabel: String {
        self.code.rawValue
    }

    /// The label and message; never a value or a secret.
    public var description: String {
        "CookieError(\(self.code.rawValue)): \(self.message)"
    }

    /// Returns a copy with a more specific message; the code (and so equality and label) stays the same.
    func with(message: String) -> CookieError {
        CookieError(self.code, message)
    }

    /// Two errors are equal when their codes are equal; the message is not compared.
    public static func == (lhs: CookieError, rhs: CookieError) -> Bool {
        lhs.code == rhs.code
    }

    /// Hashes the code only, consistent with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
    }
}

extension CookieError {
    /// A cookie name is empty or contains a character outside the HTTP token set (RFC 9110 §5.6.2).
    public static let invalidName = CookieError(.invalidName, "cookie name is empty or not an HTTP token")
    /// A cookie value contains a character outside `cookie-octet` (RFC 6265 §4.1.1): a space, `"`, `,`, `;`,
    /// `\`, a control character or a non-ASCII byte.
    public static let invalidValue = CookieError(.invalidValue, "cookie value contains a character outside cookie-octet")
    /// The `Path` attribute does not start with `/` or contains `;` or a control character.
    public static let invalidPath = CookieError(.invalidPath, "cookie path must start with / and contain no ; or control character")
    /// The `Domain` attribute is empty, too long, or contains a character other than letters, digits, `-` and `.`.
    public static let invalidDomain = CookieError(.invalidDomain, "cookie domain must be a host name")
    /// `SameSite=None` without `Secure`: browsers drop such cookies.
    public static let sameSiteNoneWithoutSecure = CookieError(.sameSiteNoneWithoutSecure, "SameSite=None requires Secure")
    /// The key ring was built from no secrets at all.
    public static let noSecrets = CookieError(.noSecrets, "at least one cookie secret is required")
    /// A secret is shorter than ``CookieSealer/minimumSecretLength`` bytes (after trimming a trailing newline).
    public static let secretTooShort = CookieError(.secretTooShort, "cookie secret is shorter than 32 bytes")
    /// The value does not fit: more chunks than allowed, a cookie longer than the browser limit, or a payload
    /// field longer than its encoding allows.
    public static let valueTooLarge = CookieError(.valueTooLarge, "cookie value too large")
    /// The AEAD implementation refused to seal (not expected with a valid key).
    public static let sealingFailed = CookieError(.sealingFailed, "cookie could not be sealed")
    /// A codec or chunking parameter is out of range.
    public static let invalidConfiguration = CookieError(.invalidConfiguration, "invalid cookie configuration")
}
