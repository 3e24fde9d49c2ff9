import Foundation

extension TokenPolicy {
    /// Checks the registered claims of a verified token and returns its expiry.
    ///
    /// - `exp` is required and must be a number; valid while `now < exp + clockSkew`.
    /// - `nbf`, if present, must be a number; valid once `now + clockSkew >= nbf`.
    /// - `iat`, if present, must be a number not later than `now + clockSkew`.
    /// - `iss` must be a string equal to ``issuer``, byte for byte.
    /// - `azp`, if present, must be a string in ``allowedClientIDs``; without `azp`, `aud` (a string or an
    ///   array of strings) must contain an allowed client id. For a bearer token (`isIDToken` false) an `aud`
    ///   naming one of ``acceptedAudiences`` is enough.
    func validate(_ claims: [String: StrictJSONValue], now: Date, isIDToken: Bool = false) throws(OIDCError) -> Date {
        let nowSeconds = now.timeIntervalSince1970
        guard let exp = try Self.numericDate(claims, "exp") else {
            throw OIDCError.expired.with(message: "token has no exp")
        }
        let nbf = try Self.numericDate(claims, "nbf")
        let iat = try Self.numericDate(claims, "iat")

        guard claims["iss"]?.stringValue == self.issuer else {
            throw OIDCError.wrongIssuer
        }
        try AudienceRule(allowedClientIDs: self.allowedClientIDs,
                         acceptedAudiences: isIDToken ? [] : self.acceptedAudiences).check(claims)

        guard nowSeconds < exp + self.clockSkew else {
            throw OIDCError.expired
        }
        if let nbf, nowSeconds + self.clockSkew < nbf {
            throw OIDCError.notYetValid
        }
        if let iat, iat > nowSeconds + self.clockSkew {
            throw OIDCError.issuedInFuture
        }
        return Date(timeIntervalSince1970: exp)
    }


    /// A NumericDate claim: absent gives `nil`; anything but a JSON number is malformed.
    static func numericDate(_ claims: [String: StrictJSONValue], _ name: String) throws(OIDCError) -> Double? {
        switch claims[name] {
        case .none:
            return nil
        case .number(let value)?:
            return value
        default:
            throw OIDCError.malformed.with(message: "\(name) is not a number")
        }
    }
}
