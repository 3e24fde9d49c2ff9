import Crypto
import CryptoExtras
import Foundation
import FileSupport

extension SigningKey {
    /// Generates a fresh key of `kind` (RSA-2048 by default, as Keycloak signs RS256) whose key id is its
    /// RFC 7638 thumbprint, so the same key material always has the same `kid`.
    public static func generate(kind: Kind = .rsa2048) -> SigningKey {
        let key = SigningKey(kind: kind, kid: "pending")
        return key.withKeyID(key.thumbprint)
    }

    /// Reads a PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) or SEC 1 (`EC PRIVATE KEY`, P-256) PEM; the key id
    /// is the key's RFC 7638 thumbprint.
    ///
    /// - Throws: ``SigningKeyFileError/unsupportedKey(path:reason:)`` (with an empty path) if the text is no RSA or
    ///   P-256 private key.
    public init(pem: String) throws(SigningKeyFileError) {
        let backing: Backing
        let kind: Kind
        if let rsa = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) {
            guard rsa.keySizeInBits >= 2048 else {
                throw .unsupportedKey(path: "", reason: "an RSA key of \(rsa.keySizeInBits) bits (at least 2048 needed)")
            }
            backing = .rsa(rsa)
            kind = .rsa2048
        } else if let p256 = try? P256.Signing.PrivateKey(pemRepresentation: pem) {
            backing = .p256(p256)
            kind = .p256
        } else {
            throw .unsupportedKey(path: "", reason: "not an RSA or P-256 private key in PEM")
        }
        let key = SigningKey(kind: kind, kid: "pending", backing: backing)
        self = key.withKeyID(key.thumbprint)
    }

    /// The private key as PEM (PKCS#8 for P-256, PKCS#1 for RSA as swift-crypto writes it); `nil` for the kinds
    /// only tests use (P-384, P-521, Ed25519).
    public var privateKeyPEM: String? {
        switch self.backing {
        case .rsa(let key): key.pemRepresentation
        case .p256(let key): key.pemRepresentation
        default: nil
        }
    }

    /// The RFC 7638 JWK thumbprint (SHA-256 of the required public members, base64url).
    public var thumbprint: String {
        let jwk = self.publicJWK()
        let required: [String]
        switch jwk["kty"] {
        case "RSA": required = ["e", "kty", "n"]
        case "EC": required = ["crv", "kty", "x", "y"]
        default: required = ["crv", "kty", "x"]
        }
        var members: [String: TokenJSON] = [:]
        for name in required {
            members[name] = jwk[name]
        }
        return TokenBase64URL.encode(SHA256.hash(data: Array(TokenJSON.object(members).jsonString.utf8)))
    }

    /// The key in `pemFile` if the file exists, else a fresh key of `kind` written there (mode 0600, directories
    /// created), so that an issuer restarted on the same folder keeps its key and tokens issued before stay valid.
    ///
    /// - Returns: The key, and whether it was created now.
    /// - Throws: ``SigningKeyFileError`` when the file cannot be read or written, or holds no usable key.
    public static func loadOrCreate(pemFile: String, kind: Kind = .rsa2048) throws(SigningKeyFileError) -> (key: SigningKey, created: Bool) {
        let manager = FileManager.default
        if manager.fileExists(atPath: pemFile) {
            return (try self.load(pemFile: pemFile), false)
        }
        let key = self.generate(kind: kind)
        try key.save(pemFile: pemFile)
        return (key, true)
    }

    /// Reads the key in `pemFile`.
    ///
    /// - Throws: ``SigningKeyFileError``.
    public static func load(pemFile: String) throws(SigningKeyFileError) -> SigningKey {
        let text: String
        do {
            text = try String(contentsOfFile: pemFile, encoding: .utf8)
        } catch {
            throw .unreadable(path: pemFile, reason: FileErrorReason.of(error))
        }
        do {
            return try SigningKey(pem: text)
        } catch {
            if case .unsupportedKey(_, let reason) = error {
                throw .unsupportedKey(path: pemFile, reason: reason)
            }
            throw error
        }
    }

    /// Writes the private key to `pemFile` (mode 0600, parent directories created, replacing the file atomically).
    ///
    /// - Throws: ``SigningKeyFileError``.
    public func save(pemFile: String) throws(SigningKeyFileError) {
        guard let pem = self.privateKeyPEM else {
            throw .unsupportedKey(path: pemFile, reason: "a \(self.kind.rawValue) key cannot be saved (RSA and P-256 only)")
        }
        let url = URL(fileURLWithPath: pemFile)
        let manager = FileManager.default
        do {
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
            guard manager.createFile(atPath: temporary.path, contents: Data(pem.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown)
            }
            if manager.fileExists(atPath: url.path) {
                _ = try manager.replaceItemAt(url, withItemAt: temporary)
            } else {
                try manager.moveItem(at: temporary, to: url)
            }
        } catch {
            throw .unwritable(path: pemFile, reason: FileErrorReason.of(error))
        }
    }
}
