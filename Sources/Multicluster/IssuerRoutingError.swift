/// Why a bearer token cannot be routed to an issuer: always 401, as for any token the proxy refuses.
///
/// - Important: No message contains the token. ``unknownIssuer(_:)`` carries the token's `iss` (cut to 256
///   characters) for logs; the client's ``message`` does not repeat it.
public enum IssuerRoutingError: ClusterRefusal, Hashable {
    /// The token is larger than ``IssuerRouter/maximumTokenSize``.
    case oversized
    /// The token is not a compact JWS with a readable string `iss`; the text says what is wrong.
    case malformed(String)
    /// No configured issuer has this `iss`.
    case unknownIssuer(String)

    /// 401.
    public var httpStatus: Int { 401 }

    /// `Unauthorized`.
    public var reason: String { "Unauthorized" }

    /// For the client.
    public var message: String {
        switch self {
        case .oversized: "the token is too large"
        case .malformed(let problem): problem
        case .unknownIssuer: "the token's issuer is not accepted"
        }
    }

    /// A bounded metric label: `oversized`, `malformed` or `unknown_issuer`.
    public var metricLabel: String {
        switch self {
        case .oversized: "oversized"
        case .malformed: "malformed"
        case .unknownIssuer: "unknown_issuer"
        }
    }
}
