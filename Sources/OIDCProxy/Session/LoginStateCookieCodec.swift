public import Foundation

/// Reads and writes the pending-login cookie (`vz_state`): a ``LoginState`` sealed by a ``CookieSealer`` with the
/// cookie name as purpose, valid for ``lifetime`` from the state's creation.
///
/// One `HttpOnly` cookie, never chunked: a state whose sealed cookie would exceed
/// ``ChunkedCookie/maximumSetCookieLength`` is refused (``CookieError/valueTooLarge``); the login flow should then
/// drop the original URL's query rather than fail. `SameSite` must not be `Strict`: the callback is a
/// cross-site navigation from the identity provider.
public struct LoginStateCookieCodec: Sendable {
    /// `vz_state`, the name Verrazzano used.
    public static let defaultCookieName = "vz_state"
    /// Five minutes, as in Verrazzano.
    public static let defaultLifetime: TimeInterval = 300

    /// Seals and opens the state.
    public let sealer: CookieSealer
    /// `Path`, `Domain`, `Secure`, `SameSite` of the cookie.
    public let attributes: CookieAttributes
    /// The cookie name.
    public let cookieName: String
    /// How long a pending login stays valid, in seconds.
    public let lifetime: TimeInterval

    /// Creates the codec.
    ///
    /// - Throws: ``CookieError/invalidName`` when `cookieName` is not an HTTP token,
    ///   ``CookieError/invalidConfiguration`` when `lifetime` is not positive and finite.
    public init(sealer: CookieSealer, attributes: CookieAttributes = .secureDefaults,
                cookieName: String = LoginStateCookieCodec.defaultCookieName,
                lifetime: TimeInterval = LoginStateCookieCodec.defaultLifetime) throws(CookieError) {
        guard CookieSyntax.isToken(cookieName) else { throw .invalidName }
        guard lifetime.isFinite, lifetime > 0 else {
            throw CookieError.invalidConfiguration.with(message: "the login state lifetime must be positive")
        }
        self.sealer = sealer
        self.attributes = attributes
        self.cookieName = cookieName
        self.lifetime = lifetime
    }

    /// The `Set-Cookie` header storing `state`, valid from `state.createdAt` for ``lifetime``.
    ///
    /// - Throws: ``CookieError/valueTooLarge`` when the cookie would exceed
    ///   ``ChunkedCookie/maximumSetCookieLength`` bytes.
    public func setCookie(for state: LoginState) throws(CookieError) -> SetCookie {
        let expiresAt = state.createdAt.addingTimeInterval(self.lifetime)
        let sealed = try self.sealer.seal(try state.encoded(), purpose: self.cookieName, expiresAt: expiresAt)
        let cookie = SetCookie(validatedName: self.cookieName, value: sealed, attributes: self.attributes,
                               httpOnly: true,
                               maxAge: SessionCookieCodec.maxAge(from: state.createdAt, to: expiresAt),
                               expires: expiresAt)
        guard cookie.headerValue.utf8.count <= ChunkedCookie.maximumSetCookieLength else {
            throw CookieError.valueTooLarge.with(message: "the login state cookie would be too large")
        }
        return cookie
    }

    /// The pending login the request carries, if any and acceptable at `now`.
    public func loginState(in cookies: RequestCookies, now: Date) -> CookieLookup<LoginState> {
        guard let sealed = cookies.firstValue(named: self.cookieName) else { return .absent }
        switch self.sealer.open(sealed, purpose: self.cookieName, now: now) {
        case .failure(let reason):
            return .rejected(reason)
        case .success(let plaintext):
            guard let state = LoginState(encoded: plaintext) else { return .rejected(.malformed) }
            return .valid(state)
        }
    }

    /// The deletion of the cookie, sent with the callback's answer whatever its outcome.
    public func deletionCookie() -> SetCookie {
        SetCookie(deletingValidatedName: self.cookieName, attributes: self.attributes, httpOnly: true)
    }
}
