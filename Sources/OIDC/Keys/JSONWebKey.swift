import Crypto
import CryptoExtras
import Foundation

/// One public signing key from a JSON Web Key Set (RFC 7517).
///
/// Supported: `kty: RSA` (`n`, `e`; at least 2048 bits), `kty: EC` with `crv` `P-256`, `P-384` or `P-521`
/// (`x`, `y`), and `kty: OKP` with `crv: Ed25519` (`x`). Private members are ignored.
public struct JSONWebKey: Sendable {
    /// The key type family, which decides the algorithms a key can verify.
    public enum KeyType: String, Sendable, Hashable {
        /// An RSA key: RS256/384/512 and PS256/384/512.
        case rsa = "RSA"
        /// A NIST P-256 key: ES256 only.
        case p256 = "P-256"
        /// A NIST P-384 key: ES384 only.
        case p384 = "P-384"
        /// A NIST P-521 key: ES512 only.
        case p521 = "P-521"
        /// An Ed25519 key: EdDSA only.
        case ed25519 = "Ed25519"
    }

    enum Material: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case p521(P521.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
    }

    /// The key id (`kid`), if the key has one.
    public let keyID: String?
    /// The algorithm the key is restricted to (`alg`), if the key names one.
    public let algorithm: JWSAlgorithm?
    /// The key type and curve.
    public let keyType: KeyType
    let material: Material

    /// Parses one key object.
    ///
    /// - Returns: `nil` if the key should be skipped: a `use` other than `sig`, an unsupported `kty` or curve,
    ///   an `alg` outside the allow list, or key material that does not form a valid public key.
    public init?(json: [String: StrictJSONValue]) {
        if let use = json["use"], use.stringValue != "sig" {
            return nil
        }
        var algorithm: JWSAlgorithm?
        if let alg = json["alg"] {
            guard let name = alg.stringValue, let known = JWSAlgorithm(rawValue: name) else {
                return nil
            }
            algorithm = known
        }
        let keyID: String?
        switch json["kid"] {
        case .none: keyID = nil
        case .string(let kid)?: keyID = kid
        default: return nil
        }
        guard let material = Self.material(from: json) else {
            return nil
        }
        self.init(keyID: keyID, algorithm: algorithm, material: material)
        if let algorithm, !self.canVerify(algorithm) {
            return nil
        }
    }

    init(keyID: String?, algorithm: JWSAlgorithm?, material: Material) {
        self.keyID = keyID
        self.algorithm = algorithm
        self.material = material
        switch material {
        case .rsa: self.keyType = .rsa
        case .p256: self.keyType = .p256
        case .p384: self.keyType = .p384
        case .p521: self.keyType = .p521
        case .ed25519: self.keyType = .ed25519
        }
    }

    /// Whether this key may verify signatures made with `algorithm`: the key type must fit the algorithm,
    /// and a key that names an `alg` only verifies that algorithm.
    public func canVerify(_ algorithm: JWSAlgorithm) -> Bool {
        if let restricted = self.algorithm, restricted != algorithm {
            return false
        }
        switch (self.keyType, algorithm) {
        case (.rsa, .rs256), (.rsa, .rs384), (.rsa, .rs512), (.rsa, .ps256), (.rsa, .ps384), (.rsa, .ps512):
            return true
        case (.p256, .es256), (.p384, .es384), (.p521, .es512), (.ed25519, .edDSA):
            return true
        default:
            return false
        }
    }

    private static func material(from json: [String: StrictJSONValue]) -> Material? {
        func bytes(_ name: String) -> [UInt8]? {
            guard let text = json[name]?.stringValue, !text.isEmpty else {
                return nil
            }
            return Base64URL.decode(text.utf8)
        }
        switch json["kty"]?.stringValue {
        case "RSA":
            guard let modulus = bytes("n"), let exponent = bytes("e") else {
                return nil
            }
            return (try? _RSA.Signing.PublicKey(n: modulus, e: exponent)).map(Material.rsa)
        case "EC":
            guard let x = bytes("x"), let y = bytes("y") else {
                return nil
            }
            let raw = x + y
            switch json["crv"]?.stringValue {
            case "P-256" where x.count == 32 && y.count == 32:
                return (try? P256.Signing.PublicKey(rawRepresentation: raw)).map(Material.p256)
            case "P-384" where x.count == 48 && y.count == 48:
                return (try? P384.Signing.PublicKey(rawRepresentation: raw)).map(Material.p384)
            case "P-521" where x.count == 66 && y.count == 66:
                return (try? P521.Signing.PublicKey(rawRepresentation: raw)).map(Material.p521)
            default:
                return nil
            }
        case "OKP":
            guard json["crv"]?.stringValue == "Ed25519", let x = bytes("x"), x.count == 32 else {
                return nil
            }
            return (try? Curve25519.Signing.PublicKey(rawRepresentation: x)).map(Material.ed25519)
        default:
            return nil
        }
    }
}

extension JSONWebKey {
    /// Verifies `signature` over `signingInput` (the ASCII bytes `header.payload`) with `algorithm`.
    ///
    /// Returns `false` when the key cannot be used with the algorithm, when an ECDSA signature is not exactly
    /// `r || s` of the curve's length, or when the signature is wrong.
    func isValidSignature(
        _ signature: [UInt8],
        for signingInput: UnsafeRawBufferPointer,
        algorithm: JWSAlgorithm
    ) -> Bool {
        guard self.canVerify(algorithm) else {
            return false
        }
        switch (self.material, algorithm) {
        case (.rsa(let key), _):
            let rsaSignature = _RSA.Signing.RSASignature(rawRepresentation: signature)
            switch algorithm {
            case .rs256:
                return key.isValidSignature(rsaSignature, for: SHA256.hash(data: signingInput), padding: .insecurePKCS1v1_5)
            case .rs384:
                return key.isValidSignature(rsaSignature, for: SHA384.hash(data: signingInput), padding: .insecurePKCS1v1_5)
            case .rs512:
                return key.isValidSignature(rsaSignature, for: SHA512.hash(data: signingInput), padding: .insecurePKCS1v1_5)
            case .ps256:
                return key.isValidSignature(rsaSignature, for: SHA256.hash(data: signingInput), padding: .PSS)
            case .ps384:
                return key.isValidSignature(rsaSignature, for: SHA384.hash(data: signingInput), padding: .PSS)
            case .ps512:
                return key.isValidSignature(rsaSignature, for: SHA512.hash(data: signingInput), padding: .PSS)
            default:
                return false
            }
        case (.p256(let key), .es256):
            guard let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else {
                return false
            }
            return key.isValidSignature(ecdsa, for: SHA256.hash(data: signingInput))
        case (.p384(let key), .es384):
            guard let ecdsa = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else {
                return false
            }
            return key.isValidSignature(ecdsa, for: SHA384.hash(data: signingInput))
        case (.p521(let key), .es512):
            guard let ecdsa = try? P521.Signing.ECDSASignature(rawRepresentation: signature) else {
                return false
            }
            return key.isValidSignature(ecdsa, for: SHA512.hash(data: signingInput))
        case (.ed25519(let key), .edDSA):
            return key.isValidSignature(signature, for: signingInput)
        default:
            return false
        }
    }
}
