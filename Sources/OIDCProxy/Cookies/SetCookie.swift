public import Foundation

/// One `Set-Cookie` response header (RFC 6265 §4.1), validated so that nothing can inject an attribute or a
/// header line.
///
/// The name must be an HTTP token and the value a run of `cookie-octet`s (no space, `"`, `,`, `;`, `\`,
/// control or non-ASCII byte); ``CookieAttributes`` validates `Path` and `Domain`. ``headerValue`` renders
/// `name=value; Path=/; Domain=...; Max-Age=...; Expires=...; HttpOnly; Secure; SameSite=...`, omitting what
/// is not set.
///
/// - Important: ``description`` shows the name, the value's length and the attributes, never the value.
public struct SetCookie: Sendable, Hashable, CustomStringConvertible {
    /// The `SameSite` attribute.
    public enum SameSite: String, Sendable, Hashable, CaseIterable {
        /// Sent on same-site requests and cross-site top-level navigations (`GET` links and redirects).
        case lax = "Lax"
        /// Sent on same-site requests only.
        case strict = "Strict"
        /// Sent on all requests; requires `Secure`.
        case none = "None"
    }

    /// The cookie name, an HTTP token.
    public let name: String
    /// The cookie value, `cookie-octet`s only; may be empty.
    public let value: String
    /// `Path`, `Domain`, `Secure` and `SameSite`.
    public let attributes: CookieAttributes
    /// Whether to send `HttpOnly` (hidden from the page's JavaScript).
    public let httpOnly: Bool
    /// The `Max-Age` attribute in seconds (never negative), or `nil` to omit it.
    public let maxAge: Int?
    /// The `Expires` attribute, or `nil` to omit it; rendered in whole seconds as IMF-fixdate, clamped to the
    /// years 1970 ... 9999.
    public let expires: Date?

    /// Creates a cookie from individual attributes.
    ///
    /// - Parameters:
    ///   - name: an HTTP token.
    ///   - value: `cookie-octet`s; may be empty.
    ///   - path: the `Path`, starting with `/`.
    ///   - domain: the `Domain`, or `nil` for a host-only cookie.
    ///   - maxAge: `Max-Age` in seconds; a negative value is sent as `0`.
    ///   - expires: `Expires`.
    ///   - httpOnly: whether to send `HttpOnly`.
    ///   - secure: whether to send `Secure`.
    ///   - sameSite: the `SameSite` attribute, or `nil` to omit it.
    /// - Throws: ``CookieError/invalidName``, ``CookieError/invalidValue``, or an attribute error from
    ///   ``CookieAttributes/init(path:domain:secure:sameSite:)``.
    public init(name: String, value: String, path: String = "/", domain: String? = nil, maxAge: Int? = nil,
                expires: Date? = nil, httpOnly: Bool = true, secure: Bool = true,
                sameSite: SameSite? = .lax) throws(CookieError) {
        let attributes = try CookieAttributes(path: path, domain: domain, secure: secure, sameSite: sameSite)
        try self.init(name: name, value: value, attributes: attributes, httpOnly: httpOnly, maxAge: maxAge,
                      expires: expires)
    }

    /// Creates a cookie with shared, already validated attributes.
    ///
    /// - Throws: ``CookieError/invalidName`` or ``CookieError/invalidValue``.
    public init(name: String, value: String, attributes: CookieAttributes, httpOnly: Bool = true,
                maxAge: Int? = nil, expires: Date? = nil) throws(CookieError) {
        guard CookieSyntax.isToken(name) else { throw .invalidName }
        guard CookieSyntax.isCookieValue(value) else { throw .invalidValue }
        self.init(validatedName: name, value: value, attributes: attributes, httpOnly: httpOnly, maxAge: maxAge,
                  expires: expires)
    }

    /// Creates a cookie whose name and value the caller has already validated.
    init(validatedName name: String, value: String, attributes: CookieAttributes, httpOnly: Bool, maxAge: Int?,
         expires: Date?) {
        assert(CookieSyntax.isToken(name) && CookieSyntax.isCookieValue(value))
        self.name = name
        self.value = value
        self.attributes = attributes
        self.httpOnly = httpOnly
        self.maxAge = maxAge.map { max(0, $0) }
        self.expires = expires
    }

    /// A cookie that makes the browser delete `name`: empty value, `Max-Age=0` and `Expires` in 1970.
    ///
    /// `attributes` must carry the same `Path` and `Domain` the cookie was set with, or the browser keeps it.
    ///
    /// - Throws: ``CookieError/invalidName``.
    public static func deletion(name: String, attributes: CookieAttributes,
                                httpOnly: Bool = true) throws(CookieError) -> SetCookie {
        guard CookieSyntax.isToken(name) else { throw .invalidName }
        return SetCookie(deletingValidatedName: name, attributes: attributes, httpOnly: httpOnly)
    }

    /// A deletion cookie for a name the caller has already validated.
    init(deletingValidatedName name: String, attributes: CookieAttributes, httpOnly: Bool) {
        self.init(validatedName: name, value: "", attributes: attributes, httpOnly: httpOnly, maxAge: 0,
                  expires: Date(timeIntervalSince1970: 0))
    }

    /// Whether this cookie deletes its name (``deletion(name:attributes:httpOnly:)``).
    public var isDeletion: Bool {
        self.value.isEmpty && self.maxAge == 0
    }

    /// The `Path` attribute.
    public var path: String { self.attributes.path }
    /// The `Domain` attribute, if any.
    public var domain: String? { self.attributes.domain }
    /// Whether `Secure` is sent.
    public var secure: Bool { self.attributes.secure }
    /// The `SameSite` attribute, if any.
    public var sameSite: SameSite? { self.attributes.sameSite }

    /// The header value: `name=value` followed by the attributes.
    public var headerValue: String {
        self.name + "=" + self.value + self.renderedAttributes
    }

    /// The attributes as rendered after the value, starting with `; `.
    var renderedAttributes: String {
        var text = "; Path=" + self.attributes.path
        if let domain = self.attributes.domain {
            text += "; Domain=" + domain
        }
        if let maxAge = self.maxAge {
            text += "; Max-Age=\(maxAge)"
        }
        if let expires = self.expires {
            let seconds = expires.timeIntervalSince1970
            let whole: Int64 = seconds.isFinite
                ? Int64(max(min(seconds.rounded(.down), Double(IMFFixdate.latestSeconds)), 0))
                : (seconds > 0 ? IMFFixdate.latestSeconds : 0)
            text += "; Expires=" + IMFFixdate.format(secondsSince1970: whole)
        }
        if self.httpOnly {
            text += "; HttpOnly"
        }
        if self.attributes.secure {
            text += "; Secure"
        }
        if let sameSite = self.attributes.sameSite {
            text += "; SameSite=" + sameSite.rawValue
        }
        return text
    }

    /// The name, the value's length and the attributes; never the value.
    public var description: String {
        "SetCookie(\(self.name), \(self.value.utf8.count) bytes\(self.renderedAttributes))"
    }
}
