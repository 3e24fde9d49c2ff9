public import Foundation

/// A verified OpenID Connect Back-Channel Logout token: which session or user the provider logged out.
///
/// At least one of ``subject`` and ``sessionID`` is present. End every session whose ID token carried this
/// `sid` (``Identity/sessionID``); with only a subject, end every session of that `sub` (``Identity/subject``).
public struct VerifiedLogoutToken: Sendable, Hashable {
    /// The `sub` claim: the user whose sessions end, if given.
    public var subject: String?
    /// The `sid` claim: the provider session that ended, if given.
    public var sessionID: String?
    /// The `jti` claim, unique per logout token (used to refuse replays).
    public var tokenID: String
    /// The `iat` claim.
    public var issuedAt: Date
    /// The `exp` claim, if the token has one.
    public var expiresAt: Date?

    /// Creates a verified logout token from its parts.
    public init(subject: String?, sessionID: String?, tokenID: String, issuedAt: Date, expiresAt: Date? = nil) {
        self.subject = subject
        self.sessionID = sessionID
        self.tokenID = tokenID
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }
}
