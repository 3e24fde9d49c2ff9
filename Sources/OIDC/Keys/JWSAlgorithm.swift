/// The JWS signature algorithms this module accepts (the allow list).
///
/// `none`, the HMAC family (`HS256`, ...) and anything else are refused: a token naming them fails with
/// ``OIDCError/unsupportedAlgorithm`` before any key is looked at.
public enum JWSAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (Keycloak's default).
    case rs256 = "RS256"
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    case rs384 = "RS384"
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    case rs512 = "RS512"
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256.
    case ps256 = "PS256"
    /// RSASSA-PSS with SHA-384 and MGF1 with SHA-384.
    case ps384 = "PS384"
    /// RSASSA-PSS with SHA-512 and MGF1 with SHA-512.
    case ps512 = "PS512"
    /// ECDSA on P-256 with SHA-256; signature is raw `r || s` (64 bytes).
    case es256 = "ES256"
    /// ECDSA on P-384 with SHA-384; signature is raw `r || s` (96 bytes).
    case es384 = "ES384"
    /// ECDSA on P-521 with SHA-512; signature is raw `r || s` (132 bytes).
    case es512 = "ES512"
    /// Edwards-curve signatures; only Ed25519 keys are supported.
    case edDSA = "EdDSA"
}
