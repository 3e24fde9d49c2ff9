import OIDC

/// Picks the issuer that must verify a bearer token: the one whose `issuer` equals the token's `iss` exactly.
///
/// `iss` is read from the payload **without verification** (base64url-decoded and parsed as JSON, with the same
/// strict decoders the token verifier uses); only the chosen issuer's keys then verify the token, so a forged `iss`
/// can at most pick an issuer whose keys will refuse it. The token's size is bounded before anything is decoded.
///
/// Generic over what a token is routed to: the configuration entry, or the wired issuer's authenticator.
///
/// ```swift
/// let router = IssuerRouter(issuers)   // IssuersConfiguration, validated
/// let entry = try router.route(token)  // IssuerRoutingError: 401
/// ```
public struct IssuerRouter<Target: Sendable>: Sendable {
    /// The largest token read, as the verifier's limit: 64 KiB.
    public static var maximumTokenSize: Int { 64 * 1024 }

    /// The targets by exact issuer string.
    public let targets: [String: Target]

    /// Routes each issuer string to its target. When an issuer is given twice the first wins (validation refuses
    /// duplicates).
    public init(_ targets: some Sequence<(issuer: String, target: Target)>) {
        var byIssuer: [String: Target] = [:]
        for (issuer, target) in targets where byIssuer[issuer] == nil { byIssuer[issuer] = target }
        self.targets = byIssuer
    }

    /// The target for `token` (compact JWS).
    ///
    /// - Throws: ``IssuerRoutingError`` (401) for a malformed or oversized token, one without `iss`, or an `iss` no
    ///   issuer has.
    public func route(_ token: some StringProtocol) throws(IssuerRoutingError) -> Target {
        let issuer = try Self.unverifiedIssuer(of: token)
        guard let target = self.targets[issuer] else { throw .unknownIssuer(String(issuer.prefix(256))) }
        return target
    }

    /// The `iss` claim of `token`, read without verifying anything.
    ///
    /// - Throws: ``IssuerRoutingError``: ``IssuerRoutingError/oversized`` above ``maximumTokenSize``;
    ///   ``IssuerRoutingError/malformed(_:)`` without three non-empty dot-separated segments, a payload that is not
    ///   strict base64url of a JSON object, or an `iss` that is missing, not a string or empty.
    public static func unverifiedIssuer(of token: some StringProtocol) throws(IssuerRoutingError) -> String {
        let bytes = token.utf8
        guard bytes.count <= Self.maximumTokenSize else { throw .oversized }
        let segments = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count == 3, segments.allSatisfy({ !$0.isEmpty }) else {
            throw .malformed("the token must have three non-empty segments")
        }
        guard let payload = Base64URL.decode(segments[1]),
              let claims = StrictJSONValue(parsing: payload)?.objectValue else {
            throw .malformed("the token payload is not a base64url JSON object")
        }
        guard let issuer = claims["iss"] else { throw .malformed("the token has no iss claim") }
        guard let text = issuer.stringValue, !text.isEmpty else { throw .malformed("the token's iss is not a string") }
        return text
    }
}

extension IssuerRouter where Target == IssuerConfiguration {
    /// Routes to the entries of `configuration` (validate it first: entries without `issuer` are left out).
    public init(_ configuration: IssuersConfiguration) {
        self.init(configuration.issuers.compactMap { entry in entry.issuer.map { (issuer: $0, target: entry) } })
    }
}
