import Foundation
import OIDC

/// Reads claims of a JWT's payload without verifying it: only to learn when a token the provider just sent
/// expires. Never use this to decide who someone is.
enum JWTPayload {
    /// The `exp` claim of a compact JWS, as a date; `nil` if `token` is not a JWT or has no numeric `exp`.
    static func expiry(of token: String) -> Date? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let bytes = Base64URL.decode(Array(parts[1].utf8)),
              let claims = StrictJSONValue(parsing: bytes)?.objectValue,
              let exp = claims["exp"]?.numberValue
        else {
            return nil
        }
        return Date(timeIntervalSince1970: exp)
    }
}
