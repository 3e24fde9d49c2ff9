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
            let header = JSONValue(parsing: headerBytes)?.objectValue
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
        self.signingInputCount = secondDot
        self.payload = payload
        self.signature = signature
    }

    /// Parses the payload's claims (call only after the signature verified).
    func claims() throws(OIDCError) -> [String: JSONValue] {
        guard let claims = JSONValue(parsing: self.payload)?.objectValue else {
            throw OIDCError.malformed.with(message: "token payload is not a JSON object")
        }
        return claims
    }
}
