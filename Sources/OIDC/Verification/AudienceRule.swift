/// Whether a token was issued for one of the clients this relying party accepts, for every kind of token it checks
/// (ID tokens, access tokens, back-channel logout tokens).
///
/// OpenID Connect Core 3.1.3.7 (and Back-Channel Logout 1.0 §2.6, which validates `aud` "the same way as ID
/// Tokens"): when an `azp` (authorized party) is present it must be an accepted client, and then it decides;
/// otherwise `aud` (a string or an array of strings) must contain an accepted client. A token whose `azp` names
/// another client is refused even if `aud` lists this one. Keycloak's access tokens carry the client in `azp` and
/// `account` in `aud`, so checking `azp` first is what lets them through.
///
/// `acceptedAudiences` widens the rule for bearer tokens only: a token whose `aud` names one of them is accepted
/// whatever its `azp`, as a resource server accepts an access token issued for it (RFC 9068 §4). ID tokens at login
/// and logout tokens keep the client rule alone.
struct AudienceRule: Sendable {
    /// The accepted client IDs.
    let allowedClientIDs: Set<String>
    /// Extra `aud` values accepted on their own (bearer tokens only).
    var acceptedAudiences: Set<String> = []

    /// Throws `wrongAudience` when the token is for no accepted client, `malformed` when `aud` or `azp` have the
    /// wrong JSON type.
    func check(_ claims: [String: StrictJSONValue]) throws(OIDCError) {
        if !self.acceptedAudiences.isEmpty, try self.audience(claims, containsOneOf: self.acceptedAudiences) {
            return
        }
        switch claims["azp"] {
        case .string(let azp)?:
            guard self.allowedClientIDs.contains(azp) else { throw OIDCError.wrongAudience }
            return
        case .none, .null?:
            break
        default:
            throw OIDCError.malformed.with(message: "azp is not a string")
        }
        if try self.audience(claims, containsOneOf: self.allowedClientIDs) { return }
        throw OIDCError.wrongAudience
    }

    /// Whether `aud` (a string or an array of strings) contains one of `names`.
    private func audience(_ claims: [String: StrictJSONValue], containsOneOf names: Set<String>) throws(OIDCError) -> Bool {
        switch claims["aud"] {
        case .string(let aud)?:
            return names.contains(aud)
        case .array(let audiences)?:
            for audience in audiences {
                guard case .string(let aud) = audience else {
                    throw OIDCError.malformed.with(message: "aud contains a non-string")
                }
                if names.contains(aud) { return true }
            }
            return false
        case .none:
            return false
        default:
            throw OIDCError.malformed.with(message: "aud is neither a string nor an array")
        }
    }
}
