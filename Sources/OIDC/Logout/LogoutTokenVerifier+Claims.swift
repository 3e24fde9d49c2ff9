import Foundation

extension LogoutTokenVerifier {
    /// Checks a signature-verified logout token's claims (everything but the replay check).
    func validate(_ claims: [String: StrictJSONValue], now: Date) throws(OIDCError) -> VerifiedLogoutToken {
        let nowSeconds = now.timeIntervalSince1970
        let skew = self.policy.clockSkew
        guard claims["iss"]?.stringValue == self.policy.issuer else {
            throw OIDCError.wrongIssuer
        }
        try self.validateAudience(claims)

        guard let iat = try TokenPolicy.numericDate(claims, "iat") else {
            throw OIDCError.missingIssuedAt
        }
        let exp = try TokenPolicy.numericDate(claims, "exp")
        let nbf = try TokenPolicy.numericDate(claims, "nbf")
        if iat > nowSeconds + skew {
            throw OIDCError.issuedInFuture
        }
        if nowSeconds - iat > self.maximumAge + skew {
            throw OIDCError.tooOld
        }
        if let exp, nowSeconds >= exp + skew {
            throw OIDCError.expired
        }
        if let nbf, nowSeconds + skew < nbf {
            throw OIDCError.notYetValid
        }

        guard case .string(let tokenID)? = claims["jti"], !tokenID.isEmpty else {
            throw OIDCError.missingTokenID
        }
        guard case .object(let events)? = claims["events"] else {
            throw OIDCError.missingEvent.with(message: "logout token has no events object")
        }
        guard case .object? = events[Self.backChannelLogoutEvent] else {
            throw OIDCError.missingEvent
        }
        let subject = try Self.optionalName(claims, "sub")
        let sessionID = try Self.optionalName(claims, "sid")
        guard subject != nil || sessionID != nil else {
            throw OIDCError.missingSubject
        }
        guard claims["nonce"] == nil else {
            throw OIDCError.noncePresent
        }
        return VerifiedLogoutToken(
            subject: subject,
            sessionID: sessionID,
            tokenID: tokenID,
            issuedAt: Date(timeIntervalSince1970: iat),
            expiresAt: exp.map(Date.init(timeIntervalSince1970:))
        )
    }

    /// The token is for an accepted client: ``AudienceRule``, as for ID tokens.
    private func validateAudience(_ claims: [String: StrictJSONValue]) throws(OIDCError) {
        try AudienceRule(allowedClientIDs: self.policy.allowedClientIDs).check(claims)
    }

    /// `sub` or `sid`: absent gives `nil`; present, it must be a non-empty string.
    private static func optionalName(_ claims: [String: StrictJSONValue], _ name: String) throws(OIDCError) -> String? {
        switch claims[name] {
        case .none:
            return nil
        case .string(let value)? where !value.isEmpty:
            return value
        default:
            throw OIDCError.malformed.with(message: "\(name) is not a non-empty string")
        }
    }
}
