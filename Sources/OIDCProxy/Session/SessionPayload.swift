public import Foundation

/// What the session cookie (`vz_authn`) holds: who the user is, the tokens needed to refresh and to log out,
/// and when things expire.
///
/// The access token itself is not kept (it is large and the console never sees it); the identity taken from it
/// is. Instants are whole seconds; ``encoded()`` drops fractions. Record the token instants in the proxy's own
/// clock (the time of the token response plus `expires_in`) so that refresh timing does not depend on the
/// identity provider's clock.
///
/// ## Encoding
/// Versioned binary (version 1): a version byte, a flag byte for the optional fields, then the fields in
/// declaration order; strings and lists carry a big-endian `UInt16` length (so a field holds at most 65,535
/// bytes or entries), instants are big-endian `Int64` seconds since 1970. Decoding rejects an unknown version,
/// unknown flags, truncation, invalid UTF-8 and trailing bytes.
///
/// - Important: ``description`` shows the user name and counts; never a token.
public struct SessionPayload: Sendable, Hashable, CustomStringConvertible {
    /// The user name forwarded to the console (`X-WEBAUTH-USER`).
    public var username: String
    /// The ID token's `sub`.
    public var subject: String
    /// Group names.
    public var groups: [String]
    /// Realm roles (`x-proxy-roles`, and the `vz_api_access` check).
    public var roles: [String]
    /// The raw ID token, for the `id_token_hint` of the end-session redirect. ``SessionCookieCodec`` leaves it
    /// out when the session would not fit otherwise; logout then works without the hint (Keycloak asks the
    /// user to confirm).
    public var idToken: String?
    /// The refresh token, or `nil` when the identity provider issued none (the session then ends with the
    /// access token).
    public var refreshToken: String?
    /// When the access token was issued (proxy clock).
    public var accessTokenIssuedAt: Date
    /// When the access token expires (proxy clock); ``RefreshSchedule`` decides from these two.
    public var accessTokenExpiresAt: Date
    /// When the refresh token expires, if the provider said (`refresh_expires_in`).
    public var refreshTokenExpiresAt: Date?
    /// When the user logged in; kept across refreshes.
    public var createdAt: Date
    /// The identity provider's session id (Keycloak `sid`), for back-channel logout.
    public var sessionID: String?

    /// Creates a session payload.
    public init(username: String, subject: String, groups: [String] = [], roles: [String] = [],
                idToken: String?, refreshToken: String?, accessTokenIssuedAt: Date, accessTokenExpiresAt: Date,
                refreshTokenExpiresAt: Date? = nil, createdAt: Date, sessionID: String? = nil) {
        self.username = username
        self.subject = subject
        self.groups = groups
        self.roles = roles
        self.idToken = idToken
        self.refreshToken = refreshToken
        self.accessTokenIssuedAt = accessTokenIssuedAt
        self.accessTokenExpiresAt = accessTokenExpiresAt
        self.refreshTokenExpiresAt = refreshTokenExpiresAt
        self.createdAt = createdAt
        self.sessionID = sessionID
    }

    /// Whether to refresh the access token at `now`, by `schedule`.
    public func refreshDecision(now: Date, schedule: RefreshSchedule = RefreshSchedule()) -> RefreshSchedule.Decision {
        schedule.decision(issuedAt: self.accessTokenIssuedAt, expiresAt: self.accessTokenExpiresAt, now: now)
    }

    /// The user name and counts; never a token.
    public var description: String {
        "SessionPayload(username: \(self.username), groups: \(self.groups.count), roles: \(self.roles.count), "
            + "idToken: \(self.idToken == nil ? "absent" : "present"), "
            + "refreshToken: \(self.refreshToken == nil ? "absent" : "present"), "
            + "accessTokenExpiresAt: \(self.accessTokenExpiresAt))"
    }
}

extension SessionPayload {
    private static let encodingVersion: UInt8 = 1

    private enum Flag {
        static let idToken: UInt8 = 1 << 0
        static let refreshToken: UInt8 = 1 << 1
        static let refreshTokenExpiresAt: UInt8 = 1 << 2
        static let sessionID: UInt8 = 1 << 3
        static let all: UInt8 = idToken | refreshToken | refreshTokenExpiresAt | sessionID
    }

    /// The binary encoding (see the type's discussion).
    ///
    /// - Throws: ``CookieError/valueTooLarge`` when a string or list exceeds 65,535 bytes or entries.
    public func encoded() throws(CookieError) -> [UInt8] {
        var flags: UInt8 = 0
        if self.idToken != nil { flags |= Flag.idToken }
        if self.refreshToken != nil { flags |= Flag.refreshToken }
        if self.refreshTokenExpiresAt != nil { flags |= Flag.refreshTokenExpiresAt }
        if self.sessionID != nil { flags |= Flag.sessionID }

        let estimate = 64 + self.username.utf8.count + self.subject.utf8.count + (self.idToken?.utf8.count ?? 0)
            + (self.refreshToken?.utf8.count ?? 0) + self.groups.reduce(0) { $0 + 2 + $1.utf8.count }
            + self.roles.reduce(0) { $0 + 2 + $1.utf8.count }
        var writer = PayloadWriter(version: Self.encodingVersion, capacity: estimate)
        writer.write(flags)
        try writer.write(self.username)
        try writer.write(self.subject)
        try writer.write(self.groups)
        try writer.write(self.roles)
        if let idToken = self.idToken { try writer.write(idToken) }
        if let refreshToken = self.refreshToken { try writer.write(refreshToken) }
        writer.write(self.accessTokenIssuedAt)
        writer.write(self.accessTokenExpiresAt)
        if let refreshTokenExpiresAt = self.refreshTokenExpiresAt { writer.write(refreshTokenExpiresAt) }
        writer.write(self.createdAt)
        if let sessionID = self.sessionID { try writer.write(sessionID) }
        return writer.bytes
    }

    /// Decodes ``encoded()`` output; `nil` for anything else. Never traps, whatever the bytes.
    public init?(encoded bytes: [UInt8]) {
        guard var reader = PayloadReader(bytes, version: Self.encodingVersion),
              let flags = reader.readByte(), flags & ~Flag.all == 0,
              let username = reader.readString(),
              let subject = reader.readString(),
              let groups = reader.readStrings(),
              let roles = reader.readStrings()
        else {
            return nil
        }
        var idToken: String?
        if flags & Flag.idToken != 0 {
            guard let value = reader.readString() else { return nil }
            idToken = value
        }
        var refreshToken: String?
        if flags & Flag.refreshToken != 0 {
            guard let value = reader.readString() else { return nil }
            refreshToken = value
        }
        guard let accessTokenIssuedAt = reader.readDate(), let accessTokenExpiresAt = reader.readDate() else {
            return nil
        }
        var refreshTokenExpiresAt: Date?
        if flags & Flag.refreshTokenExpiresAt != 0 {
            guard let value = reader.readDate() else { return nil }
            refreshTokenExpiresAt = value
        }
        guard let createdAt = reader.readDate() else { return nil }
        var sessionID: String?
        if flags & Flag.sessionID != 0 {
            guard let value = reader.readString() else { return nil }
            sessionID = value
        }
        guard reader.isAtEnd else { return nil }
        self.init(username: username, subject: subject, groups: groups, roles: roles, idToken: idToken,
                  refreshToken: refreshToken, accessTokenIssuedAt: accessTokenIssuedAt,
                  accessTokenExpiresAt: accessTokenExpiresAt, refreshTokenExpiresAt: refreshTokenExpiresAt,
                  createdAt: createdAt, sessionID: sessionID)
    }
}
