public import Foundation

/// Who a verified token says the caller is, ready for impersonation.
///
/// The proxy adds `system:authenticated` itself; it is not part of ``groups``.
public struct Identity: Sendable, Hashable {
    /// The user name (from ``ClaimMapping/usernameClaim``); accepted by ``IdentityName/problem(_:commaSeparated:)``.
    public var username: String
    /// Group names, in token order; each accepted by ``IdentityName/problem(_:commaSeparated:)`` (commas allowed).
    public var groups: [String]
    /// Role names (from ``ClaimMapping/rolesClaim``), not checked by ``IdentityName``: a proxy that sends them
    /// must check them.
    public var roles: [String]
    /// When the token expires (`exp`); the identity must not be used after it.
    public var expiresAt: Date
    /// The token's `sub`, if it is a string (useful as `Impersonate-Uid` when the user name is another claim).
    public var subject: String?
    /// The token's `sid` (the provider's session id; Keycloak's user session), if it is a string. A back-channel
    /// logout token names the session to end by this value.
    public var sessionID: String?

    /// Creates an identity.
    public init(
        username: String,
        groups: [String],
        roles: [String],
        expiresAt: Date,
        subject: String?,
        sessionID: String? = nil
    ) {
        self.username = username
        self.groups = groups
        self.roles = roles
        self.expiresAt = expiresAt
        self.subject = subject
        self.sessionID = sessionID
    }
}
