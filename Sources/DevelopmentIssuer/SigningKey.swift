import Crypto
import CryptoExtras
import Foundation

/// A private signing key of the development issuer (and of the tests' tokens), with its key id and public JWK.
///
/// The development issuer signs with RSA-2048 RS256 like Keycloak (or P-256 ES256); see
/// ``SigningKey/loadOrCreate(pemFile:kind:)`` for a key that survives restarts. The other kinds, and the
/// deliberately unusual algorithms of ``sign(_:algorithm:)``, are for tests.
public struct SigningKey: Sendable {
    /// The key family and curve.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// RSA, 2048 bits.
        case rsa2048
        /// ECDSA P-256.
        case p256
        /// ECDSA P-384.
        case p384
        /// ECDSA P-521.
        case p521
        /// Ed25519.
        case ed25519

        /// The algorithm a key of this kind signs with by default.
        public var defaultAlgorithm: String {
            switch self {
            case .rsa2048: "RS256"
            case .p256: "ES256"
            case .p384: "ES384"
            case .p521: "ES512"
            case .ed25519: "EdDSA"
            }
        }
    }

    enum Backing: Sendable {
        case rsa(_RSA.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
        case p521(P521.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    /// The key id (`kid`).
    public let kid: String
    /// The key family.
    public let kind: Kind
    let backing: Backing

    /// Generates a fresh key. RSA generation takes tens of milliseconds; tests reuse fixed keys where they can.
    public init(kind: Kind, kid: String) {
        self.kind = kind
        self.kid = kid
        switch kind {
        case .rsa2048: self.backing = .rsa(try! _RSA.Signing.PrivateKey(keySize: .bits2048))
        case .p256: self.backing = .p256(P256.Signing.PrivateKey())
        case .p384: self.backing = .p384(P384.Signing.PrivateKey())
        case .p521: self.backing = .p521(P521.Signing.PrivateKey())
        case .ed25519: self.backing = .ed25519(Curve25519.Signing.PrivateKey())
        }
    }

    init(kind: Kind, kid: String, backing: Backing) {
        self.kind = kind
        self.kid = kid
        self.backing = backing
    }

    /// The same key material under another key id.
    public func withKeyID(_ kid: String) -> SigningKey {
        SigningKey(kind: self.kind, kid: kid, backing: self.backing)
    }

    /// The algorithm this key signs with by default.
    public var defaultAlgorithm: String {
        self.kind.defaultAlgorithm
    }

    /// Signs `input` with `algorithm` (RS*/PS* for RSA keys, the matching ES* for EC keys, EdDSA for Ed25519).
    ///
    /// An algorithm that does not fit the key is a programming error in the test and traps.
    public func sign(_ input: [UInt8], algorithm: String) -> [UInt8] {
        switch (self.backing, algorithm) {
        case (.rsa(let key), "RS256"):
            return Array(try! key.signature(for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5).rawRepresentation)
        case (.rsa(let key), "RS384"):
            return Array(try! key.signature(for: SHA384.hash(data: input), padding: .insecurePKCS1v1_5).rawRepresentation)
        case (.rsa(let key), "RS512"):
            return Array(try! key.signature(for: SHA512.hash(data: input), padding: .insecurePKCS1v1_5).rawRepresentation)
        case (.rsa(let key), "PS256"):
            return Array(try! key.signature(for: SHA256.hash(data: input), padding: .PSS).rawRepresentation)
        case (.rsa(let key), "PS384"):
            return Array(try! key.signature(for: SHA384.hash(data: input), padding: .PSS).rawRepresentation)
        case (.rsa(let key), "PS512"):
            return Array(try! key.signature(for: SHA512.hash(data: input), padding: .PSS).rawRepresentation)
        case (.p256(let key), _):
            return Array(try! key.signature(for: SHA256.hash(data: input)).rawRepresentation)
        case (.p384(let key), _):
            return Array(try! key.signature(for: SHA384.hash(data: input)).rawRepresentation)
        case (.p521(let key), _):
            return Array(try! key.signature(for: SHA512.hash(data: input)).rawRepresentation)
        case (.ed25519(let key), _):
            return Array(try! key.signature(for: input))
        default:
            preconditionFailure("algorithm \(algorithm) does not fit a \(self.kind) key")
        }
    }

    /// A check of signatures made with this key's default algorithm, through swift-crypto alone (no JOSE parsing):
    /// the cost floor a token verifier cannot go below. The public key is derived once, outside the returned check.
    public func defaultSignatureCheck() -> @Sendable (_ signature: [UInt8], _ input: [UInt8]) -> Bool {
        switch self.backing {
        case .rsa(let key):
            let publicKey = key.publicKey
            return { signature, input in
                let rsaSignature = _RSA.Signing.RSASignature(rawRepresentation: signature)
                return publicKey.isValidSignature(rsaSignature, for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
            }
        case .p256(let key):
            let publicKey = key.publicKey
            return { signature, input in
                guard let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
                return publicKey.isValidSignature(ecdsa, for: SHA256.hash(data: input))
            }
        case .p384(let key):
            let publicKey = key.publicKey
            return { signature, input in
                guard let ecdsa = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
                return publicKey.isValidSignature(ecdsa, for: SHA384.hash(data: input))
            }
        case .p521(let key):
            let publicKey = key.publicKey
            return { signature, input in
                guard let ecdsa = try? P521.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
                return publicKey.isValidSignature(ecdsa, for: SHA512.hash(data: input))
            }
        case .ed25519(let key):
            let publicKey = key.publicKey
            return { signature, input in publicKey.isValidSignature(signature, for: input) }
        }
    }

    /// The public key as a JWK object (with `kid` and `use: sig`; `alg` only if given).
    public func publicJWK(algorithm: String? = nil) -> [String: TokenJSON] {
        var jwk: [String: TokenJSON] = ["kid": .string(self.kid), "use": "sig"]
        if let algorithm {
            jwk["alg"] = .string(algorithm)
        }
        func b64(_ data: Data) -> TokenJSON { .string(TokenBase64URL.encode(data)) }
        switch self.backing {
        case .rsa(let key):
            let primitives = try! key.publicKey.getKeyPrimitives()
            jwk["kty"] = "RSA"
            jwk["n"] = b64(primitives.modulus)
            jwk["e"] = b64(primitives.publicExponent)
        case .p256(let key):
            jwk.merge(Self.ecMembers("P-256", key.publicKey.rawRepresentation), uniquingKeysWith: { $1 })
        case .p384(let key):
            jwk.merge(Self.ecMembers("P-384", key.publicKey.rawRepresentation), uniquingKeysWith: { $1 })
        case .p521(let key):
            jwk.merge(Self.ecMembers("P-521", key.publicKey.rawRepresentation), uniquingKeysWith: { $1 })
        case .ed25519(let key):
            jwk["kty"] = "OKP"
            jwk["crv"] = "Ed25519"
            jwk["x"] = b64(key.publicKey.rawRepresentation)
        }
        return jwk
    }

    /// The DER (SubjectPublicKeyInfo) bytes of an RSA key's public key: the "secret" in HS256 key-confusion attacks.
    public var rsaPublicKeyDER: [UInt8]? {
        guard case .rsa(let key) = self.backing else { return nil }
        return Array(key.publicKey.derRepresentation)
    }

    /// The PEM of an RSA key's public key (another favourite HS256 confusion secret).
    public var rsaPublicKeyPEM: String? {
        guard case .rsa(let key) = self.backing else { return nil }
        return key.publicKey.pemRepresentation
    }

    /// A JWKS document (`{"keys": [...]}`) from JWK objects.
    public static func jwks(jwks: [[String: TokenJSON]]) -> String {
        TokenJSON.object(["keys": .array(jwks.map(TokenJSON.object))]).jsonString
    }

    private static func ecMembers(_ curve: String, _ raw: Data) -> [String: TokenJSON] {
        let half = raw.count / 2
        return [
            "kty": "EC",
            "crv": .string(curve),
            "x": .string(TokenBase64URL.encode(raw.prefix(half))),
            "y": .string(TokenBase64URL.encode(raw.suffix(half))),
        ]
    }
}

