public import Foundation

/// Reads and writes the session cookie (`vz_authn`): a ``SessionPayload``, sealed by a ``CookieSealer`` with the
/// cookie name as purpose, split over several cookies by ``ChunkedCookie`` when it is long.
///
/// The cookies are `HttpOnly` and carry the configured ``attributes`` (by default `Path=/`, `Secure`,
/// `SameSite=Lax`). When the session does not fit in ``ChunkedCookie/maximumChunks`` cookies, the ID token is
/// left out (see ``SessionCookieWrite/idTokenOmitted``): it only serves as the `id_token_hint` at logout,
/// whereas everything else is needed on every request.
public struct SessionCookieCodec: Sendable {
    /// `vz_authn`, the name Verrazzano used.
    public static let defaultCookieName = "vz_authn"

    /// Seals and opens the payload.
    public let sealer: CookieSealer
    /// `Path`, `Domain`, `Secure`, `SameSite` of every session cookie.
    public let attributes: CookieAttributes
    /// The cookie name and chunk bound.
    public let chunking: ChunkedCookie

    /// Creates the codec.
    ///
    /// - Throws: ``CookieError/invalidName`` or ``CookieError/invalidConfiguration`` from
    ///   ``ChunkedCookie/init(name:maximumChunks:)``.
    public init(sealer: CookieSealer, attributes: CookieAttributes = .secureDefaults,
                cookieName: String = SessionCookieCodec.defaultCookieName,
                maximumChunks: Int = ChunkedCookie.defaultMaximumChunks) throws(CookieError) {
        self.sealer = sealer
        self.attributes = attributes
        self.chunking = try ChunkedCookie(name: cookieName, maximumChunks: maximumChunks)
    }

    /// The base cookie name.
    public var cookieName: String {
        self.chunking.name
    }

    /// The session the request carries, if any and acceptable at `now`.
    public func session(in cookies: RequestCookies, now: Date) -> CookieLookup<SessionPayload> {
        switch self.sealedValue(in: cookies) {
        case .absent:
            return .absent
        case .rejected(let reason):
            return .rejected(reason)
        case .valid(let sealed):
            switch self.session(sealed: sealed, now: now) {
            case .absent: return .absent
            case .rejected(let reason): return .rejected(reason)
            case .valid(let opened): return .valid(opened.session)
            }
        }
    }

    /// The sealed session value the request carries (its chunks joined), not yet opened.
    public func sealedValue(in cookies: RequestCookies) -> CookieLookup<String> {
        self.chunking.value(in: cookies)
    }

    /// Opens a sealed session value from ``sealedValue(in:)``; also returns the expiry it was sealed with.
    public func session(sealed: String, now: Date) -> CookieLookup<OpenedSession> {
        switch self.sealer.openWithExpiry(sealed, purpose: self.cookieName, now: now) {
        case .failure(let reason):
            return .rejected(reason)
        case .success(let opened):
            guard let session = SessionPayload(encoded: opened.plaintext) else { return .rejected(.malformed) }
            return .valid(OpenedSession(session: session, expiresAt: opened.expiresAt))
        }
    }

    /// The `Set-Cookie` headers that store `session` until `expiresAt`, including deletions of chunks the request
    /// carried that the new value does not use.
    ///
    /// - Parameters:
    ///   - session: the payload.
    ///   - expiresAt: sealed into the value and sent as `Expires`/`Max-Age`; normally the refresh token's
    ///     expiry (the access token's when there is no refresh token).
    ///   - now: the current time, for `Max-Age`.
    ///   - present: the request's cookies.
    /// - Throws: ``CookieError/valueTooLarge`` when the session does not fit even without the ID token.
    public func setCookies(for session: SessionPayload, expiresAt: Date, now: Date,
                           replacing present: RequestCookies) throws(CookieError) -> SessionCookieWrite {
        do {
            return SessionCookieWrite(
                setCookies: try self.write(session, expiresAt: expiresAt, now: now, replacing: present),
                idTokenOmitted: false)
        } catch where error == .valueTooLarge && session.idToken != nil {
            var smaller = session
            smaller.idToken = nil
            return SessionCookieWrite(
                setCookies: try self.write(smaller, expiresAt: expiresAt, now: now, replacing: present),
                idTokenOmitted: true)
        }
    }

    /// Deletions of the session cookie and every chunk the request carries, for a logout or a failed refresh.
    public func deletionCookies(for cookies: RequestCookies) -> [SetCookie] {
        self.chunking.deletionCookies(presentIn: cookies, attributes: self.attributes)
    }

    private func write(_ session: SessionPayload, expiresAt: Date, now: Date,
                       replacing present: RequestCookies) throws(CookieError) -> [SetCookie] {
        let sealed = try self.sealer.seal(try session.encoded(), purpose: self.cookieName, expiresAt: expiresAt)
        return try self.chunking.setCookies(for: sealed, attributes: self.attributes, httpOnly: true,
                                            maxAge: Self.maxAge(from: now, to: expiresAt), expires: expiresAt,
                                            replacing: present)
    }

    /// Whole seconds from `now` to `expiresAt`, rounded down, at least 0 and at most 400 days (the longest
    /// lifetime browsers honour).
    static func maxAge(from now: Date, to expiresAt: Date) -> Int {
        let seconds = expiresAt.timeIntervalSince(now)
        guard seconds.isFinite else { return seconds > 0 ? 400 * 86_400 : 0 }
        return Int(min(max(seconds.rounded(.down), 0), 400 * 86_400))
    }
}

/// A session cookie, opened: its payload and the expiry it was sealed with.
public struct OpenedSession: Sendable, Hashable {
    /// The session.
    public var session: SessionPayload
    /// The expiry the cookie was sealed with (authenticated).
    public var expiresAt: Date

    /// Creates the value.
    public init(session: SessionPayload, expiresAt: Date) {
        self.session = session
        self.expiresAt = expiresAt
    }
}

/// The cookies that store a session, and whether the ID token had to be left out to fit.
public struct SessionCookieWrite: Sendable, Hashable {
    /// The `Set-Cookie` headers to send: the session cookie(s), then deletions of stale chunks.
    public var setCookies: [SetCookie]
    /// Whether the ID token was dropped because the session would not fit otherwise; logout then has no
    /// `id_token_hint`.
    public var idTokenOmitted: Bool

    /// Creates a write result.
    public init(setCookies: [SetCookie], idTokenOmitted: Bool) {
        self.setCookies = setCookies
        self.idTokenOmitted = idTokenOmitted
    }
}
