import OIDC
public import Foundation

/// The `vz_userinfo` cookie: the user name and session expiry, for the console's JavaScript (not `HttpOnly`,
/// not sealed: it holds nothing the user may not see, and the proxy never trusts it).
///
/// ## Format
/// The value is standard, padded base64 (RFC 4648 §4, what JavaScript's `atob` reads) of comma-separated
/// `key=value` pairs:
///
/// ```
/// username=<name>,exp=<expiry, whole seconds since 1970>
/// ```
///
/// This is the shape the Verrazzano console parses (`atob(value).split(",")`, then each pair at `=`). In the
/// name, `%`, `,`, `=` and control characters are percent-encoded (`%2C`, ...) so that they cannot break the
/// pair structure; other characters, including non-ASCII, are UTF-8 bytes as they are (decode `atob`'s result
/// with `TextDecoder` to show them correctly). Readers ignore pairs they do not know.
public struct UserInfoCookie: Sendable, Hashable {
    /// `vz_userinfo`, the name Verrazzano used.
    public static let defaultCookieName = "vz_userinfo"
    /// Values longer than this are not decoded.
    static let maximumValueLength = 4_096
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// The user name shown by the console.
    public var username: String
    /// When the session expires (whole seconds).
    public var expiresAt: Date

    /// Creates the cookie contents.
    public init(username: String, expiresAt: Date) {
        self.username = username
        self.expiresAt = expiresAt
    }

    /// The cookie value (see the type's discussion).
    public var cookieValue: String {
        var text = [UInt8]("username=".utf8)
        for byte in self.username.utf8 {
            if byte == UInt8(ascii: "%") || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "=") || byte < 0x20
                || byte == 0x7F {
                text.append(contentsOf: [UInt8(ascii: "%"), Self.hexDigits[Int(byte >> 4)], Self.hexDigits[Int(byte & 0x0F)]])
            } else {
                text.append(byte)
            }
        }
        text.append(contentsOf: ",exp=\(PayloadReader.wholeSeconds(self.expiresAt))".utf8)
        return Base64URL.encodeStandardPadded(text)
    }

    /// Decodes a ``cookieValue``; `nil` when it is not base64 of UTF-8 text with a `username` and an integer `exp`.
    public init?(cookieValue: some StringProtocol) {
        guard cookieValue.utf8.count <= Self.maximumValueLength,
              let data = Data(base64Encoded: String(cookieValue)),
              let text = String(validating: data, as: UTF8.self)
        else {
            return nil
        }
        var username: String?
        var expiry: Int64?
        for pair in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let equals = pair.firstIndex(of: "=") else { return nil }
            let key = pair[..<equals]
            let value = pair[pair.index(after: equals)...]
            if key == "username", username == nil {
                guard let decoded = Self.percentDecoded(value) else { return nil }
                username = decoded
            } else if key == "exp", expiry == nil {
                guard let seconds = Int64(value) else { return nil }
                expiry = seconds
            }
        }
        guard let username, let expiry else { return nil }
        self.init(username: username, expiresAt: Date(timeIntervalSince1970: Double(expiry)))
    }

    /// The `Set-Cookie` header: readable by JavaScript (no `HttpOnly`), expiring with the session.
    ///
    /// - Throws: ``CookieError/invalidName`` when `name` is not an HTTP token.
    public func setCookie(name: String = UserInfoCookie.defaultCookieName,
                          attributes: CookieAttributes = .secureDefaults, now: Date) throws(CookieError) -> SetCookie {
        try SetCookie(name: name, value: self.cookieValue, attributes: attributes, httpOnly: false,
                      maxAge: SessionCookieCodec.maxAge(from: now, to: self.expiresAt), expires: self.expiresAt)
    }

    /// The deletion of the cookie, for a logout.
    ///
    /// - Throws: ``CookieError/invalidName`` when `name` is not an HTTP token.
    public static func deletionCookie(name: String = UserInfoCookie.defaultCookieName,
                                      attributes: CookieAttributes = .secureDefaults) throws(CookieError) -> SetCookie {
        try SetCookie.deletion(name: name, attributes: attributes, httpOnly: false)
    }

    private static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue)
            else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
