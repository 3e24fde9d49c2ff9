/// Picks what must verify a bearer token: the entry whose issuer equals the token's `iss` exactly.
///
/// `iss` is read from the payload **without verification** (base64url-decoded and parsed as JSON, with the same
/// strict decoders the token verifier uses); only the chosen issuer's keys then verify the token, so a forged `iss`
/// can at most pick an issuer whose keys will refuse it. The token's size is bounded before anything is decoded.
///
/// Generic over what a token is routed to: an issuer's ``TokenAuthenticator`` (see
/// ``IssuerRoutedAuthenticator``), or a configuration entry.
///
/// ```swift
/// let router = IssuerRouter([(issuer: admin.policy.issuer, target: admin), (issuer: ci.policy.issuer, target: ci)])
/// let authenticator = try router.route(token)  // OIDCError (401) for an unknown or unreadable iss
/// ```
public struct IssuerRouter<Target: Sendable>: Sendable {
    /// The targets by exact issuer string.
    public let targets: [String: Target]

    /// Routes each issuer string to its target. When an issuer is given twice the first wins (configuration
    /// validation refuses duplicates).
    public init(_ targets: some Sequence<(issuer: String, target: Target)>) {
        var byIssuer: [String: Target] = [:]
        for (issuer, target) in targets where byIssuer[issuer] == nil { byIssuer[issuer] = target }
        self.targets = byIssuer
    }

    /// The target for `token` (compact JWS).
    ///
    /// - Throws: ``OIDCError``, all 401: ``OIDCError/oversized`` above ``CompactJWS/maximumSize``,
    ///   ``OIDCError/malformed`` when no `iss` can be read, ``OIDCError/wrongIssuer`` for an `iss` no entry has.
    public func route(_ token: some StringProtocol) throws(OIDCError) -> Target {
        try self.route(utf8: token.utf8)
    }

    /// ``route(_:)`` for the token's bytes.
    public func route(bytes token: UnsafeRawBufferPointer) throws(OIDCError) -> Target {
        try self.route(utf8: token)
    }

    private func route(utf8 token: some Collection<UInt8>) throws(OIDCError) -> Target {
        let issuer = try Self.unverifiedIssuer(utf8: token)
        guard let target = self.targets[issuer] else {
            throw OIDCError.wrongIssuer.with(message: "the token's issuer is not accepted")
        }
        return target
    }

    /// The `iss` claim of `token`, read without verifying anything.
    ///
    /// - Throws: ``OIDCError/oversized`` above ``CompactJWS/maximumSize``; ``OIDCError/malformed`` without three
    ///   non-empty dot-separated segments, a payload that is not strict base64url of a JSON object, or an `iss`
    ///   that is missing, not a string or empty. Messages never repeat the token.
    public static func unverifiedIssuer(of token: some StringProtocol) throws(OIDCError) -> String {
        try Self.unverifiedIssuer(utf8: token.utf8)
    }

    private static func unverifiedIssuer(utf8 bytes: some Collection<UInt8>) throws(OIDCError) -> String {
        guard bytes.count <= CompactJWS.maximumSize else { throw .oversized }
        let segments = bytes.split(separator: UInt8(ascii: "."), maxSplits: 3, omittingEmptySubsequences: false)
        guard segments.count == 3, segments.allSatisfy({ !$0.isEmpty }) else {
            throw OIDCError.malformed.with(message: "the token must have three non-empty segments")
        }
        guard let payload = Base64URL.decode(segments[1]),
              let claims = StrictJSONValue(parsing: payload)?.objectValue else {
            throw OIDCError.malformed.with(message: "the token payload is not a base64url JSON object")
        }
        guard let issuer = claims["iss"] else { throw OIDCError.malformed.with(message: "the token has no iss claim") }
        guard let text = issuer.stringValue, !text.isEmpty else {
            throw OIDCError.malformed.with(message: "the token's iss is not a string")
        }
        return text
    }
}
