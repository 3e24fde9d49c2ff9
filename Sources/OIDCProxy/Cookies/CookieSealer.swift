import OIDC
import Crypto
public import Foundation

/// Seals cookie values with authenticated encryption (AES-256-GCM) under a key ring, and opens them.
///
/// ## Keys and rotation
/// The ring is built from one or more secrets (the bytes of mounted secret files, at least
/// ``minimumSecretLength`` bytes each). A secret is never used directly: each AEAD key is derived with
/// HKDF-SHA256 (no salt, info `"vzauth cookie v1"`). The **first** secret seals; **all** open. To rotate, put the
/// new secret first and keep the old one second until the longest-lived cookie sealed with it has expired (or
/// been rewritten: every session refresh re-seals with the first key).
///
/// ## Format
/// A sealed value is unpadded base64url of
///
/// | bytes | field |
/// |---|---|
/// | 1 | format version, `0x01` |
/// | 4 | key id: the first 4 bytes of SHA-256 of the derived key |
/// | 4 | purpose tag: the first 4 bytes of SHA-256 of the purpose (the cookie name) |
/// | 8 | expiry, whole seconds since 1970, big-endian |
/// | 12 | random nonce |
/// | n | ciphertext |
/// | 16 | GCM tag |
///
/// The associated data is the 17 header bytes followed by the purpose's UTF-8 bytes, so the expiry cannot be
/// changed and a value sealed for one cookie (`vz_state`) never opens as another (`vz_authn`). The overhead is
/// ``overheadBytes`` bytes before base64url. Nonces are random (96 bits): keep a key below 2³² seals, far above
/// what logins and refreshes produce between rotations.
///
/// ``open(_:purpose:now:)`` never throws and never traps on any input: every defect is a ``CookieRejection``.
///
/// - Important: ``description`` shows the number of keys only.
public struct CookieSealer: Sendable, CustomStringConvertible {
    /// The shortest secret accepted, in bytes, after trimming a trailing newline.
    public static let minimumSecretLength = 32
    /// Sealed values longer than this (in characters) are rejected as malformed without decoding.
    public static let maximumSealedLength = 64 * 1024
    /// Bytes added to the plaintext before base64url: header (17), nonce (12) and tag (16).
    public static let overheadBytes = headerLength + nonceLength + tagLength

    static let formatVersion: UInt8 = 1
    static let keyDerivationInfo = "vzauth cookie v1"
    private static let headerLength = 17
    private static let nonceLength = 12
    private static let tagLength = 16

    private struct RingKey: Sendable {
        var id: (UInt8, UInt8, UInt8, UInt8)
        var key: SymmetricKey
    }

    private let keys: [RingKey]

    /// Builds the key ring.
    ///
    /// - Parameter secrets: the raw secret bytes, the sealing secret first. A single trailing newline (`\n` or
    ///   `\r\n`, as editors and `echo` add) is removed from each before its length is checked.
    /// - Throws: ``CookieError/noSecrets`` for an empty list, ``CookieError/secretTooShort`` when a secret
    ///   is shorter than ``minimumSecretLength`` bytes.
    public init(secrets: [[UInt8]]) throws(CookieError) {
        guard !secrets.isEmpty else { throw .noSecrets }
        var keys: [RingKey] = []
        for (position, secret) in secrets.enumerated() {
            var trimmed = secret[...]
            if trimmed.last == UInt8(ascii: "\n") {
                trimmed = trimmed.dropLast()
                if trimmed.last == UInt8(ascii: "\r") {
                    trimmed = trimmed.dropLast()
                }
            }
            guard trimmed.count >= Self.minimumSecretLength else {
                throw CookieError.secretTooShort.with(
                    message: "cookie secret \(position + 1) of \(secrets.count) is shorter than \(Self.minimumSecretLength) bytes")
            }
            let derived = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: trimmed),
                                                 info: Array(Self.keyDerivationInfo.utf8), outputByteCount: 32)
            let digest = derived.withUnsafeBytes { SHA256.hash(data: $0) }
            let id = digest.withUnsafeBytes { ($0[0], $0[1], $0[2], $0[3]) }
            keys.append(RingKey(id: id, key: derived))
        }
        self.keys = keys
    }

    /// The number of keys in the ring.
    public var keyCount: Int {
        self.keys.count
    }

    /// The number of keys, never key material.
    public var description: String {
        "CookieSealer(keys: \(self.keys.count))"
    }

    /// Seals `plaintext` for `purpose` with the first key.
    ///
    /// - Parameters:
    ///   - plaintext: the bytes to protect.
    ///   - purpose: what the value is for, normally the cookie name; authenticated, not stored.
    ///   - expiresAt: after this instant (whole seconds, rounded down) ``open(_:purpose:now:)`` answers
    ///     ``CookieRejection/expired``.
    /// - Returns: unpadded base64url, ``overheadBytes`` plus the plaintext's length before encoding.
    /// - Throws: ``CookieError/sealingFailed`` if the AEAD implementation fails (not expected).
    public func seal(_ plaintext: [UInt8], purpose: String, expiresAt: Date) throws(CookieError) -> String {
        let ringKey = self.keys[0]
        var output = [UInt8]()
        output.reserveCapacity(Self.overheadBytes + plaintext.count)
        output.append(Self.formatVersion)
        output.append(contentsOf: [ringKey.id.0, ringKey.id.1, ringKey.id.2, ringKey.id.3])
        let tag = Self.purposeTag(purpose)
        output.append(contentsOf: [tag.0, tag.1, tag.2, tag.3])
        let expiry = UInt64(bitPattern: Self.wholeSeconds(expiresAt))
        for shift in stride(from: 56, through: 0, by: -8) {
            output.append(UInt8(truncatingIfNeeded: expiry >> UInt64(shift)))
        }
        do {
            let box = try AES.GCM.seal(plaintext, using: ringKey.key, nonce: AES.GCM.Nonce(),
                                       authenticating: Self.associatedData(header: output, purpose: purpose))
            output.append(contentsOf: box.nonce)
            output.append(contentsOf: box.ciphertext)
            output.append(contentsOf: box.tag)
        } catch {
            throw .sealingFailed
        }
        return Base64URL.encode(output)
    }

    /// Opens a value sealed by ``seal(_:purpose:expiresAt:)`` with any key of the ring.
    ///
    /// Checks, in order: size and base64url (``CookieRejection/malformed``), format version (malformed), purpose
    /// tag (``CookieRejection/wrongPurpose``), key id (``CookieRejection/unknownKey``), authentication tag
    /// (``CookieRejection/tampered``), expiry (``CookieRejection/expired``). The purpose and key-id checks read
    /// unauthenticated bytes, so for a forged value their labels are only a hint; acceptance always requires the
    /// tag to verify.
    ///
    /// - Returns: the plaintext, or why the value is not acceptable.
    public func open(_ sealed: some StringProtocol, purpose: String, now: Date) -> Result<[UInt8], CookieRejection> {
        self.openWithExpiry(sealed, purpose: purpose, now: now).map(\.plaintext)
    }

    /// Like ``open(_:purpose:now:)``, also returning the (authenticated) expiry the value was sealed with.
    public func openWithExpiry(_ sealed: some StringProtocol, purpose: String,
                               now: Date) -> Result<(plaintext: [UInt8], expiresAt: Date), CookieRejection> {
        let utf8 = sealed.utf8
        guard utf8.count <= Self.maximumSealedLength, let bytes = Base64URL.decode(utf8),
              bytes.count >= Self.overheadBytes, bytes[0] == Self.formatVersion
        else {
            return .failure(.malformed)
        }
        let tag = Self.purposeTag(purpose)
        guard bytes[5] == tag.0, bytes[6] == tag.1, bytes[7] == tag.2, bytes[8] == tag.3 else {
            return .failure(.wrongPurpose)
        }
        var expiry: UInt64 = 0
        for index in 9..<17 {
            expiry = expiry << 8 | UInt64(bytes[index])
        }
        let header = bytes[0..<Self.headerLength]
        let nonceEnd = Self.headerLength + Self.nonceLength
        let tagStart = bytes.count - Self.tagLength
        let box: AES.GCM.SealedBox
        do {
            box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: bytes[Self.headerLength..<nonceEnd]),
                                        ciphertext: bytes[nonceEnd..<tagStart], tag: bytes[tagStart...])
        } catch {
            return .failure(.malformed)
        }
        let associatedData = Self.associatedData(header: header, purpose: purpose)
        var foundKey = false
        for ringKey in self.keys
        where ringKey.id.0 == bytes[1] && ringKey.id.1 == bytes[2] && ringKey.id.2 == bytes[3] && ringKey.id.3 == bytes[4] {
            foundKey = true
            guard let plaintext = try? AES.GCM.open(box, using: ringKey.key, authenticating: associatedData) else {
                continue
            }
            let expiresAt = Double(Int64(bitPattern: expiry))
            guard now.timeIntervalSince1970 < expiresAt else {
                return .failure(.expired)
            }
            return .success(([UInt8](plaintext), Date(timeIntervalSince1970: expiresAt)))
        }
        return .failure(foundKey ? .tampered : .unknownKey)
    }

    /// The first four bytes of SHA-256 of the purpose's UTF-8 bytes.
    private static func purposeTag(_ purpose: String) -> (UInt8, UInt8, UInt8, UInt8) {
        var hasher = SHA256()
        var purpose = purpose
        purpose.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        return hasher.finalize().withUnsafeBytes { ($0[0], $0[1], $0[2], $0[3]) }
    }

    private static func associatedData(header: some Collection<UInt8>, purpose: String) -> [UInt8] {
        var data = [UInt8]()
        data.reserveCapacity(header.count + purpose.utf8.count)
        data.append(contentsOf: header)
        data.append(contentsOf: purpose.utf8)
        return data
    }

    /// `date` as whole seconds since 1970, rounded down, clamped to `0 ... Int64.max / 2`.
    static func wholeSeconds(_ date: Date) -> Int64 {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite else { return seconds > 0 ? Int64.max / 2 : 0 }
        return Int64(min(max(seconds.rounded(.down), 0), Double(Int64.max / 2)))
    }
}
