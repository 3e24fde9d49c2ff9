import Foundation
import OIDC

/// Reads claims of a JWT's payload without verifying it: only for tokens just received from the token endpoint
/// over TLS (OpenID Connect Core 3.1.3.7 lets the code flow rely on TLS for their origin), to learn when they expire
/// and to check the ID token's `nonce`. Never use this to decide who someone is.
enum JWTPayload {
    /// The payload's claims; `nil` if `token` is not a compact JWS with a JSON object payload.
    static func claims(of token: String) -> [String: StrictJSONValue]? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let bytes = Base64URL.decode(Array(parts[1].utf8)) else {
            return nil
        }
        return StrictJSONValue(parsing: bytes)?.objectValue
    }

    /// The `exp` claim as a date; `nil` if `token` is not a JWT or has no numeric `exp`.
    static func expiry(of token: String) -> Date? {
        self.claims(of: token)?["exp"]?.numberValue.map { Date(timeIntervalSince1970: $0) }
    }

    /// The `nonce` claim; `nil` if there is none.
    static func nonce(of token: String) -> String? {
        self.claims(of: token)?["nonce"]?.stringValue
    }
}
