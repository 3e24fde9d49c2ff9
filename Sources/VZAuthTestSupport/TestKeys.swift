public import DevelopmentIssuer

/// The signing key type of tests is the development issuer's DevelopmentIssuer/SigningKey; the fixed keys below
/// are for tests only (the development issuer generates or loads its own).
public typealias TestSigningKey = SigningKey

/// Shared test keys (generated once per process) and JWKS helpers.
public enum TestKeys {
    /// An RSA-2048 key, kid `rsa-1`.
    public static let rsa = TestSigningKey(kind: .rsa2048, kid: "rsa-1")
    /// A second RSA-2048 key, kid `rsa-2`.
    public static let rsa2 = TestSigningKey(kind: .rsa2048, kid: "rsa-2")
    /// A P-256 key, kid `ec-256`.
    public static let p256 = TestSigningKey(kind: .p256, kid: "ec-256")
    /// A P-384 key, kid `ec-384`.
    public static let p384 = TestSigningKey(kind: .p384, kid: "ec-384")
    /// A P-521 key, kid `ec-521`.
    public static let p521 = TestSigningKey(kind: .p521, kid: "ec-521")
    /// An Ed25519 key, kid `ed-1`.
    public static let ed25519 = TestSigningKey(kind: .ed25519, kid: "ed-1")

    /// Every shared key, one of each kind plus the second RSA key.
    public static var all: [TestSigningKey] {
        [self.rsa, self.rsa2, self.p256, self.p384, self.p521, self.ed25519]
    }

    /// A JWKS document (`{"keys": [...]}`) with the public parts of `keys`.
    public static func jwks(_ keys: [TestSigningKey]) -> String {
        self.jwks(jwks: keys.map { $0.publicJWK() })
    }

    /// A JWKS document from raw JWK objects (to include deliberately odd keys).
    public static func jwks(jwks: [[String: TokenJSON]]) -> String {
        TokenJSON.object(["keys": .array(jwks.map(TokenJSON.object))]).jsonString
    }
}
