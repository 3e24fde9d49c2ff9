/// Exists only for the fuzz targets in `Fuzz/`: a libFuzzer build is not a testable build, so it cannot reach the
/// internal ``CompactJWS`` with `@testable import`. This forwards to its parser and signature check unchanged,
/// behind the `Fuzzing` SPI (`@_spi(Fuzzing) import OIDC`), so it is no part of the module's API.
@_spi(Fuzzing)
public enum CompactJWSFuzzing {
    /// What ``CompactJWS/init(_:)`` made of a token.
    public struct Parsed: Sendable {
        public let algorithm: JWSAlgorithm
        public let keyID: String?
        public let type: StrictJSONValue?
        public let signingInputCount: Int
        public let payload: [UInt8]
        public let signature: [UInt8]
        public let isLogoutTokenType: Bool

        init(_ jws: CompactJWS) {
            self.algorithm = jws.algorithm
            self.keyID = jws.keyID
            self.type = jws.type
            self.signingInputCount = jws.signingInputCount
            self.payload = jws.payload
            self.signature = jws.signature
            self.isLogoutTokenType = jws.isLogoutTokenType
        }
    }

    /// See ``CompactJWS/init(_:)``.
    public static func parse(_ token: UnsafeRawBufferPointer) throws(OIDCError) -> Parsed {
        Parsed(try CompactJWS(token))
    }

    /// See ``CompactJWS/verified(_:keys:)``: the parsed token and the key that verified it.
    public static func verified(_ token: UnsafeRawBufferPointer, keys: JSONWebKeySet?) throws(OIDCError)
        -> (token: Parsed, key: JSONWebKey)? {
        guard let (jws, key) = try CompactJWS.verified(token, keys: keys) else { return nil }
        return (Parsed(jws), key)
    }
}
