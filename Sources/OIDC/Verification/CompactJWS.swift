/// A JWS in compact serialization (`header.payload.signature`), structurally checked but not yet verified.
///
/// Parsing refuses: a number of dots other than two, empty segments, anything but strict unpadded base64url,
/// a header that is not a JSON object (or has duplicate members), an `alg` outside the allow list, a non-string
/// `kid`, and any `crit` header (no extensions are understood). The payload's JSON is parsed only on demand,
/// after the signature has been verified.
struct CompactJWS {
    /// The largest token accepted, checked before any parsing.
    static let maximumSize = 64 * 1024

    let algorithm: JWSAlgorithm
    let keyID: String?
    /// The header's `typ` member as sent (any JSON type), `nil` if absent.
    let type: StrictJSONValue?
    /// Byte count of `header.payload`, the signed part.
    let signingInputCount: Int
    /// The decoded payload bytes (JSON not yet parsed).
    let payload: [UInt8]
    let signature: [UInt8]

    init(_ token: UnsafeRawBufferPointer) throws(OIDCError) {
        guard token.count <= Self.maximumSize else {
            throw OIDCError.oversized
        }
        var firstDot = -1
        var secondDot = -1
        for index in 0..<token.count where token[index] == UInt8(ascii: ".") {
            if firstDot < 0 {
                firstDot = index
            } else if secondDot < 0 {
                secondDot = index
            } else {
                throw OIDCError.malformed.with(message: "token has more than three segments")
            }
        }
        guard firstDot > 0, secondDot > firstDot + 1, secondDot < token.count - 1 else {
            throw OIDCError.malformed.with(message: "token must have three non-empty segments")
        }
        guard
            let headerBytes = Base64URL.decode(token[0..<firstDot]),
            let header = StrictJSONValue(parsing: headerBytes)?.objectValue
        else {
            throw OIDCError.malformed.with(message: "token header is not a base64url JSON object")
        }
        guard case .string(let alg)? = header["alg"] else {
            throw OIDCError.malformed.with(message: "token header has no alg")
        }
        guard let algorithm = JWSAlgorithm(rawValue: alg) else {
            throw OIDCError.unsupportedAlgorithm
        }
        guard header["crit"] == nil else {
            throw OIDCError.malformed.with(message: "token header has unsupported critical extensions")
        }
        switch header["kid"] {
        case .none:
            self.keyID = nil
        case .string(let kid)?:
            self.keyID = kid
        default:
            throw OIDCError.malformed.with(message: "token header kid is not a string")
        }
        guard let payload = Base64URL.decode(token[(firstDot + 1)..<secondDot]) else {
            throw OIDCError.malformed.with(message: "token payload is not base64url")
        }
        guard let signature = Base64URL.decode(token[(secondDot + 1)...]) else {
            throw OIDCError.malformed.with(message: "token signature is not base64url")
        }
        self.algorithm = algorithm
        self.type = header["typ"]
        self.signingInputCount = secondDot
        self.payload = payload
        self.signature = signature
    }

    /// Whether the header declares an OpenID Connect Back-Channel Logout token (`typ: logout+jwt`, compared
    /// case-insensitively, with or without the `application/` prefix).
    var isLogoutTokenType: Bool {
        guard case .string(let type)? = self.type else {
            return false
        }
        var mediaType = type.lowercased()
        if mediaType.hasPrefix("application/") {
            mediaType.removeFirst("application/".count)
        }
        return mediaType == "logout+jwt"
    }

    /// Parses the payload's claims (call only after the signature verified).
    func claims() throws(OIDCError) -> [String: StrictJSONValue] {
        guard let claims = StrictJSONValue(parsing: self.payload)?.objectValue else {
            throw OIDCError.malformed.with(message: "token payload is not a JSON object")
        }
        return claims
    }

    /// Parses `token` and verifies its signature with a key from `keys`.
    ///
    /// - Returns: The parsed token and the key that verified it, or `nil` when the keys needed are not known
    ///   (no keys loaded yet, an unknown `kid`, or no `kid` and an empty set): refetch the keys and try again.
    /// - Throws: ``OIDCError`` for a malformed token, a refused algorithm or `kid`, or a bad signature.
    static func verified(_ token: UnsafeRawBufferPointer, keys: JSONWebKeySet?) throws(OIDCError) -> (CompactJWS, JSONWebKey)? {
        let jws = try CompactJWS(token)
        guard let keys else {
            return nil
        }
        let signingInput = UnsafeRawBufferPointer(rebasing: token[0..<jws.signingInputCount])
        switch keys.keys(forTokenKeyID: jws.keyID, algorithm: jws.algorithm) {
        case .found(let key):
            guard key.canVerify(jws.algorithm) else {
                throw OIDCError.unsupportedAlgorithm.with(message: "the key cannot verify the token's alg")
            }
            guard key.isValidSignature(jws.signature, for: signingInput, algorithm: jws.algorithm) else {
                throw OIDCError.badSignature
            }
            return (jws, key)
        case .unknown:
            return nil
        case .candidates(let candidates):
            let verifying = candidates.filter { $0.isValidSignature(jws.signature, for: signingInput, algorithm: jws.algorithm) }
            switch verifying.count {
            case 1: return (jws, verifying[0])
            // Signed by a key not published yet (a rotation), or by none: the caller refetches once (rate-limited).
            case 0: return nil
            default: throw OIDCError.badSignature.with(message: "token has no kid and more than one key verifies it")
            }
        case .tooMany:
            throw OIDCError.unknownKey.with(
                message: "token has no kid and more than \(JSONWebKeySet.maximumKeysTriedWithoutID) keys fit its alg")
        }
    }
}
