/// Where and how a browser sends a cookie back: `Path`, `Domain`, `Secure` and `SameSite`.
///
/// Validated on creation, so a value of this type can never inject another attribute or a header line. The
/// defaults are the safe ones for the proxy's cookies: `Path=/`, host-only (no `Domain`), `Secure`,
/// `SameSite=Lax` (`Lax`, not `Strict`: the redirect back from the identity provider is a cross-site top-level
/// navigation that must carry `vz_state`).
public struct CookieAttributes: Sendable, Hashable {
    /// The `Path` attribute; starts with `/`.
    public let path: String
    /// The `Domain` attribute, or `nil` for a host-only cookie.
    public let domain: String?
    /// Whether to send `Secure` (HTTPS only).
    public let secure: Bool
    /// The `SameSite` attribute, or `nil` to omit it.
    public let sameSite: SetCookie.SameSite?

    /// Creates and validates attributes.
    ///
    /// - Throws: ``CookieError/invalidPath`` when `path` does not start with `/` or contains `;` or a control
    ///   character; ``CookieError/invalidDomain`` when `domain` is not a host name (letters, digits, `-`, `.`,
    ///   at most 253 bytes); ``CookieError/sameSiteNoneWithoutSecure``.
    public init(path: String = "/", domain: String? = nil, secure: Bool = true,
                sameSite: SetCookie.SameSite? = .lax) throws(CookieError) {
        guard path.utf8.first == UInt8(ascii: "/"),
              path.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ";") })
        else {
            throw .invalidPath
        }
        if let domain {
            guard !domain.isEmpty, domain.utf8.count <= 253, domain.utf8.allSatisfy(Self.isDomainByte) else {
                throw .invalidDomain
            }
        }
        if sameSite == SetCookie.SameSite.none, !secure {
            throw .sameSiteNoneWithoutSecure
        }
        self.init(validatedPath: path, domain: domain, secure: secure, sameSite: sameSite)
    }

    private init(validatedPath path: String, domain: String?, secure: Bool, sameSite: SetCookie.SameSite?) {
        self.path = path
        self.domain = domain
        self.secure = secure
        self.sameSite = sameSite
    }

    /// The defaults: `Path=/`, host-only, `Secure`, `SameSite=Lax`.
    public static let secureDefaults = CookieAttributes(validatedPath: "/", domain: nil, secure: true, sameSite: .lax)

    private static func isDomainByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }
}
